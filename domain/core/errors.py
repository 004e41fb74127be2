"""Expected business failures, reported to clients as payload errors with stable codes."""

from dataclasses import dataclass


@dataclass
class DomainError(Exception):
    """A rule was violated; `code` is stable and machine-readable, `field` names the input."""

    code: str
    message: str
    field: str | None = None

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    def __init__(self, what: str, field: str | None = None) -> None:
        super().__init__("NOT_FOUND", f"{what} does not exist", field)


class InvalidTransition(DomainError):
    def __init__(self, entity: str, current: str, action: str) -> None:
        super().__init__(
            "INVALID_TRANSITION", f"cannot {action} a {entity} that is {current}", None
        )


class Conflict(DomainError):
    def __init__(self, entity: str) -> None:
        super().__init__(
            "CONFLICT", f"{entity} was changed by someone else; reload and retry", "version"
        )
