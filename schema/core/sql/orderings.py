"""Keyset orderings: the sort of a page, the condition "after this cursor", typed keys."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    SmallInteger,
    Table,
    bindparam,
    tuple_,
)

from schema.core.pagination import invalid_cursor
from schema.core.sql.base import Condition


@dataclass(frozen=True)
class Ordering:
    """A keyset ordering: sort expressions (last one unique) and their direction."""

    name: str
    columns: tuple[ColumnElement[Any], ...]
    descending: bool

    def sort(self) -> list[ColumnElement[Any]]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, values: dict[str, Any] | None = None) -> Condition:
        """Rows strictly after the cursor in `after_<i>` parameters (row comparison).

        Without `values` the parameters are left to bind at execution (compiled statements).
        """
        row = tuple_(*self.columns)
        bound = tuple_(
            *[
                bindparam(f"after_{i}", (values or {}).get(f"after_{i}"), type_=c.type)
                for i, c in enumerate(self.columns)
            ]
        )
        return row < bound if self.descending else row > bound

    def after_values(self, key: Sequence[Any]) -> dict[str, Any]:
        """The `after_<i>` parameters of a decoded cursor, typed like their sort columns."""
        if len(key) != len(self.columns):
            raise invalid_cursor("`after` does not match this ordering")
        return {
            f"after_{i}": _typed(column, value)
            for i, (column, value) in enumerate(zip(self.columns, key, strict=True))
        }


@dataclass(frozen=True)
class Sort:
    """A keyset ordering by column names, before it knows its table (`-name`: descending).

    `name` goes into every cursor of the ordering, so a cursor of another one is refused.
    """

    name: str
    columns: tuple[str, ...]
    descending: bool = False

    def on(self, table: Table) -> Ordering:
        return Ordering(self.name, tuple(table.c[c] for c in self.columns), self.descending)


def newest(column: str) -> Sort:
    """Newest first by a date or time column (ties by id)."""
    return Sort("newest", (column, "id"), descending=True)


def ascending(column: str) -> Sort:
    """By a column, lowest first (ties by id); the ordering is named after the column."""
    return Sort(column, (column, "id"))


def order_by(table: FromClause, columns: Sequence[str]) -> list[ColumnElement[Any]]:
    """Sort expressions of column names, `-name` descending."""
    return [
        table.c[name[1:]].desc() if name.startswith("-") else table.c[name].asc()
        for name in columns
    ]


_PARSERS: dict[type, Callable[[Any], Any]] = {
    datetime: lambda v: datetime.fromisoformat(v),
    date: lambda v: date.fromisoformat(v),
    Decimal: Decimal,
    int: int,
    str: str,
}
# What PostgreSQL can compare with each kind of sort column; anything else would fail in SQL
# (an internal error) instead of being refused as bad input.
# Most specific first: BigInteger and SmallInteger are Integers too.
_INT_BITS = {BigInteger: 63, SmallInteger: 15, Integer: 31}
_MAX_DECIMAL = Decimal("1e30")


def _typed(column: ColumnElement[Any], value: Any) -> Any:
    try:
        if isinstance(value, (bool, float, list, dict)):
            raise TypeError(f"a {type(value).__name__} is no sort key")
        typed = _PARSERS[column.type.python_type](value)
        _check_range(column, typed)
    except (KeyError, NotImplementedError, TypeError, ValueError, ArithmeticError) as error:
        raise invalid_cursor() from error
    return typed


def _check_range(column: ColumnElement[Any], value: Any) -> None:
    if isinstance(value, int):
        bits = next((b for kind, b in _INT_BITS.items() if isinstance(column.type, kind)), 63)
        if not -(2**bits) <= value < 2**bits:
            raise OverflowError(f"{value} is out of range")
    elif isinstance(value, Decimal) and not (value.is_finite() and abs(value) < _MAX_DECIMAL):
        raise OverflowError(f"{value} is out of range")
