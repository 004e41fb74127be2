"""Root lists: a page of a whole table (or of a joined source), and its count."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Table, func, select

from schema.core.sql.base import Condition, Statement
from schema.core.sql.orderings import Ordering
from schema.core.sql.relations import RowValues, row_columns


@dataclass(frozen=True)
class RootOrdering:
    """The sort of a root list: keys (the last one unique), possibly from a joined source."""

    name: str
    keys: tuple[ColumnElement[Any], ...]
    descending: bool
    source: FromClause | None = None
    conditions: tuple[Condition, ...] = ()


def by_columns(table: Table, column: str, *, descending: bool) -> RootOrdering:
    """A table's rows by one of its columns (ties by id); named `<column>:<asc|desc>`."""
    name = f"{column}:{'desc' if descending else 'asc'}"
    return RootOrdering(name, (table.c[column], table.c.id), descending)


def by_expression(
    name: str,
    table: Table,
    key: ColumnElement[Any],
    source: FromClause,
    *,
    descending: bool,
    condition: Condition | None = None,
) -> RootOrdering:
    """A table's rows by a value of a joined source (ties by id), optionally only some."""
    return RootOrdering(
        name, (key, table.c.id), descending, source, () if condition is None else (condition,)
    )


@dataclass(frozen=True)
class RootPage:
    """The statements of one page of a root list and of its total."""

    rows: Statement
    count: Statement
    key_count: int


def root_page(
    table: Table,
    ordering: RootOrdering,
    conditions: Sequence[Condition],
    values: RowValues,
    *,
    first: int,
    after: tuple[Any, ...] | None,
) -> RootPage:
    """`first + 1` rows after the cursor (the extra one tells whether a next page exists),
    each with its sort key in `_k<i>`, and the count of all matching rows."""
    keyset = Ordering(ordering.name, ordering.keys, ordering.descending)
    source = ordering.source if ordering.source is not None else table
    labelled = [key.label(f"_k{i}") for i, key in enumerate(ordering.keys)]
    where = [*ordering.conditions, *conditions]
    columns: list[Any] = [table, *row_columns(table, values), *labelled]
    statement = select(*columns).select_from(source).where(*where)
    if after is not None:
        statement = statement.where(keyset.after(keyset.after_values(after)))
    statement = statement.order_by(*keyset.sort()).limit(first + 1)
    count = select(func.count().label("n")).select_from(source).where(*where)
    return RootPage(statement, count, len(ordering.keys))
