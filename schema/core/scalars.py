"""The scalars' formats, said once: in the schema's descriptions and in every refusal.

strawberry's own Decimal, DateTime and Date refuse a bad value with an error that graphql-core
passes on as it is: without the place in the document, and for DateTime with the parser's
Python message appended (`invalid literal for int() with base 10`). These raise
`InvalidScalar` (a ValueError) instead, which graphql-core turns into an error with the
value's location, and
their messages say what a good value looks like.
"""

import datetime as dt
import decimal

import dateutil.parser
from strawberry.types.scalar import ScalarDefinition


class InvalidScalar(ValueError):
    """A value a scalar cannot take: the client's mistake, shown as it is."""


DECIMAL_FORMAT = 'a decimal number written as a string, such as "1234.50"'
DATETIME_FORMAT = (
    'an ISO 8601 date and time with its UTC offset, such as "2026-12-07T09:30:00Z" or '
    '"2026-12-07T10:30:00+01:00"'
)
DATE_FORMAT = 'an ISO 8601 calendar day, such as "2026-12-07"'


def _decimal(value: object) -> decimal.Decimal:
    # Whole numbers may come unquoted; a float would already have lost exactness.
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidScalar(f"a Decimal is {DECIMAL_FORMAT}")
    try:
        number = decimal.Decimal(str(value).strip())
    except decimal.DecimalException:
        raise InvalidScalar(f"a Decimal is {DECIMAL_FORMAT}") from None
    if not number.is_finite():
        raise InvalidScalar(f"a Decimal is a finite number: {DECIMAL_FORMAT}")
    return number


def _datetime(value: object) -> dt.datetime:
    if not isinstance(value, str):
        raise InvalidScalar(f"a DateTime is {DATETIME_FORMAT}")
    try:
        return dateutil.parser.isoparse(value)
    except (ValueError, OverflowError):
        raise InvalidScalar(f"a DateTime is {DATETIME_FORMAT}") from None


def _date(value: object) -> dt.date:
    if not isinstance(value, str):
        raise InvalidScalar(f"a Date is {DATE_FORMAT}")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidScalar(f"a Date is {DATE_FORMAT}") from None


def _isoformat(value: dt.date) -> str:
    return value.isoformat()


SCALARS = {
    decimal.Decimal: ScalarDefinition(
        name="Decimal",
        description='An exact decimal number, sent and returned as a string ("1234.50"): '
        "money and quantities never pass through floating point. Amounts are in the currency "
        "their record names.",
        specified_by_url=None,
        serialize=str,
        parse_value=_decimal,
        parse_literal=None,
        origin=decimal.Decimal,
    ),
    dt.datetime: ScalarDefinition(
        name="DateTime",
        description="An instant: ISO 8601 date and time with its UTC offset "
        '("2026-12-07T09:30:00+00:00"). Returned with the offset it is stored in (UTC).',
        specified_by_url=None,
        serialize=_isoformat,
        parse_value=_datetime,
        parse_literal=None,
        origin=dt.datetime,
    ),
    dt.date: ScalarDefinition(
        name="Date",
        description='A calendar day, ISO 8601 ("2026-12-07"), without a time or offset.',
        specified_by_url=None,
        serialize=_isoformat,
        parse_value=_date,
        parse_literal=None,
        origin=dt.date,
    ),
}
