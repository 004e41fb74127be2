"""Expected business failures, reported to clients as payload errors with stable codes."""

from collections.abc import Sequence
from dataclasses import dataclass

# Every code a client may see. Codes are part of the API: add, never rename.
ERROR_CODES = (
    "VALIDATION",
    "NOT_FOUND",
    "FORBIDDEN",
    "CONFLICT",
    "DUPLICATE",
    "INVALID_TRANSITION",
    "INVALID_QUANTITY",
    "EMPTY_ORDER",
    "TOO_MANY_LINES",
    "INSUFFICIENT_STOCK",
    "CREDIT_LIMIT_EXCEEDED",
    "NO_PRICE_LIST",
    "ORDER_PARTLY_SHIPPED",
    "NOTHING_TO_SHIP",
    "NOTHING_TO_INVOICE",
    "NOTHING_TO_RECEIVE",
    "OVER_RECEIPT",
    "OVER_BILLING",
    "OVERPAYMENT",
    "CURRENCY_MISMATCH",
    "INVOICE_HAS_PAYMENTS",
    "IDEMPOTENCY_KEY_REUSED",
    "FILE_TOO_LARGE",
    "PERIOD_CLOSED",
    "UNBALANCED_ENTRY",
    "ACCOUNT_INACTIVE",
    "NO_RATE",
    "OVER_CREDIT",
    "OVER_RETURN",
    "OVER_REFUND",
    "HELD_OUT",
    # Production (domain.production)
    "EMPTY_BOM",
    "BOM_CYCLE",
    "ROLLED_UP_COST",
    "NOT_MANUFACTURED",
    "NOTHING_REPORTED",
    "OVER_REPORTED",
    "ALREADY_REPORTED",
    "SUGGESTION_GONE",
    "NO_SUPPLIER",
)


@dataclass
class DomainError(Exception):
    """A rule was violated; `code` is stable and machine-readable, `field` names the input."""

    code: str
    message: str
    field: str | None = None

    def __post_init__(self) -> None:
        if self.code not in ERROR_CODES:
            raise ValueError(f"unknown error code {self.code!r}; add it to ERROR_CODES")

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    def __init__(self, what: str, field: str | None = None) -> None:
        super().__init__("NOT_FOUND", f"{what} does not exist", field)


class InvalidTransition(DomainError):
    def __init__(self, entity: str, current: str, action: str) -> None:
        article = "an" if entity[0] in "aeiou" else "a"
        super().__init__(
            "INVALID_TRANSITION",
            f"cannot {action} {article} {entity} that is {current.replace('_', ' ')}",
            None,
        )


class Conflict(DomainError):
    def __init__(self, entity: str) -> None:
        super().__init__(
            "CONFLICT", f"{entity} was changed by someone else; reload and retry", "version"
        )


class Rejected(Exception):
    """Several problems with one request, reported together (e.g. every invalid field)."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = list(errors)


class Problems:
    """Collects validation problems so a client hears about all of them at once."""

    def __init__(self) -> None:
        self.errors: list[DomainError] = []

    def add(self, field: str | None, message: str, code: str = "VALIDATION") -> None:
        self.errors.append(DomainError(code, message, field))

    def collect(self, error: DomainError) -> None:
        self.errors.append(error)

    def raise_if_any(self) -> None:
        if self.errors:
            raise Rejected(self.errors)
