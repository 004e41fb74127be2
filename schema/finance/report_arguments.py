"""Arguments of the financial reports, checked alike by every report: a clear
BAD_USER_INPUT error names the argument, before any SQL runs."""

from datetime import date, timedelta
from typing import Annotated

import strawberry
from graphql import GraphQLError

from domain.finance.reports import EARLIEST

# About five years: longer ranges belong to an export, not to a request.
MAX_RANGE_DAYS = 5 * 366

AsOf = Annotated[
    date,
    strawberry.argument(
        description="The day the report is made as of (included), on or after 1900-01-01."
    ),
]
From = Annotated[
    date,
    strawberry.argument(name="from", description="First day of the period (included)."),
]
To = Annotated[
    date,
    strawberry.argument(
        name="to",
        description="Last day of the period (included); at most about five years after `from`.",
    ),
]


def bad_input(message: str, argument: str) -> GraphQLError:
    """The error of an argument value the report cannot take."""
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "argument": argument})


def checked_day(day: date, argument: str) -> date:
    """`day`, unless it is before the earliest day a report covers."""
    if day < EARLIEST:
        raise bad_input(f"`{argument}` must be on or after {EARLIEST}", argument)
    return day


def checked_range(start: date, end: date, names: tuple[str, str] = ("from", "to")) -> None:
    """Refuse a period that ends before it starts, starts too early or spans too long."""
    checked_day(start, names[0])
    if end < start:
        raise bad_input(f"`{names[1]}` must not be before `{names[0]}`", names[1])
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise bad_input(
            f"`{names[0]}`–`{names[1]}` may span at most {MAX_RANGE_DAYS} days", names[1]
        )


def comparison(start: date | None, end: date | None) -> tuple[date, date] | None:
    """The comparison period: both of its days or neither."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        missing = "compareFrom" if start is None else "compareTo"
        raise bad_input(
            f"`compareFrom` and `compareTo` go together: `{missing}` is missing", missing
        )
    checked_range(start, end, ("compareFrom", "compareTo"))
    return start, end
