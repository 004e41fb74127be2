"""Input checks shared by every service. Each records a problem on a field and returns the
cleaned value (or None), so one request reports all its problems at once."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email

from domain.core.errors import Problems
from domain.core.iso_codes import COUNTRIES, CURRENCIES

# The largest amount numeric(14,2) holds.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_QUANTITY = 1_000_000
# Instants a client reports ("the call happened at …") may run slightly ahead of our clock.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_DATE = date(1900, 1, 1)


def text(
    problems: Problems, field: str, value: str | None, *, max_length: int, required: bool = True
) -> str | None:
    """Trimmed text; empty counts as missing."""
    cleaned = value.strip() if value is not None else None
    if not cleaned:
        if required:
            problems.add(field, "must not be empty")
        return None
    if len(cleaned) > max_length:
        problems.add(field, f"must be at most {max_length} characters (got {len(cleaned)})")
        return None
    return cleaned


def email(
    problems: Problems, field: str, value: str | None, *, required: bool = False
) -> str | None:
    """A syntactically valid address, normalised (no DNS lookups: they are slow and flaky)."""
    cleaned = text(problems, field, value, max_length=254, required=required)
    if cleaned is None:
        return None
    try:
        return validate_email(cleaned, check_deliverability=False).normalized
    except EmailNotValidError as error:
        problems.add(field, f"is not a valid email address ({error})")
        return None


def currency(problems: Problems, field: str, value: str) -> str:
    code = value.strip().upper()
    if code not in CURRENCIES:
        problems.add(field, f"{value!r} is not an ISO 4217 currency code")
    return code


def country(problems: Problems, field: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if code not in COUNTRIES:
        problems.add(field, f"{value!r} is not an ISO 3166-1 alpha-2 country code")
        return None
    return code


def quantity(problems: Problems, field: str, value: int, *, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if not low <= value <= MAX_QUANTITY:
        problems.add(
            field, f"must be between {low} and {MAX_QUANTITY:,} (got {value})", "INVALID_QUANTITY"
        )
    return value


def amount(
    problems: Problems, field: str, value: Decimal | None, *, allow_zero: bool = True
) -> Decimal | None:
    """A money amount with at most two decimals: we never round what a client sent."""
    if value is None:
        return None
    try:
        exact = Decimal(value)
        whole_cents = exact == exact.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        problems.add(field, "is not a number")
        return None
    if not exact.is_finite() or not whole_cents:
        problems.add(field, "must have at most two decimal places")
    elif exact < 0 or (exact == 0 and not allow_zero):
        problems.add(
            field, "must be greater than zero" if not allow_zero else "must not be negative"
        )
    elif exact > MAX_AMOUNT:
        problems.add(field, f"must be at most {MAX_AMOUNT}")
    else:
        return exact
    return None


def day(
    problems: Problems, field: str, value: date | None, *, earliest: date, latest: date
) -> date | None:
    if value is None:
        return None
    if not earliest <= value <= latest:
        problems.add(field, f"must be between {earliest} and {latest} (got {value})")
        return None
    return value


def past_instant(problems: Problems, field: str, value: datetime | None) -> datetime:
    """When something happened: defaults to now, never in the future, never before 1900."""
    now = datetime.now(UTC)
    if value is None:
        return now
    if value.tzinfo is None:
        problems.add(field, "must include a time zone offset")
        return now
    if value > now + CLOCK_SKEW:
        problems.add(field, "must not be in the future")
    elif value.date() < EARLIEST_DATE:
        problems.add(field, f"must not be before {EARLIEST_DATE}")
    return value


def years_from_today(years: int) -> date:
    today = date.today()
    return today.replace(year=today.year + years, day=min(today.day, 28))


@dataclass(frozen=True)
class MoneyMoved:
    """Money received or paid out, checked: how much, its reference and when."""

    amount: Decimal
    reference: str | None
    at: datetime


def money_moved(
    *,
    amount_given: Decimal,
    reference: str | None,
    at: datetime | None,
    at_field: str,
    method: str | None = None,
    methods: Sequence[str] = (),
) -> MoneyMoved:
    """A payment, refund or supplier payment as a client gave it: an amount above zero, a
    reference of at most 100 characters, an instant not in the future (default now) and,
    when `methods` are given, one of them as `method`. Every problem is reported at once."""
    problems = Problems()
    checked = amount(problems, "amount", amount_given, allow_zero=False)
    cleaned = text(problems, "reference", reference, max_length=100, required=False)
    moved_at = past_instant(problems, at_field, at)
    if methods and method not in methods:
        problems.add("method", f"must be one of {', '.join(methods)}")
    problems.raise_if_any()
    assert checked is not None
    return MoneyMoved(checked, cleaned, moved_at)
