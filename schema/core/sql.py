"""The schema's one door to SQL: the statements behind relations, pages, filters and batches.

Every other schema module describes its reads as data — a relation's key and sort columns,
a filter field's column and operator, a root list's sort — or names a read rule of the
domain (`domain.erp.receivables`, `stock_position`, …); this module turns them into
SQLAlchemy Core statements, which `domain.core.reads` compiles once per shape and runs on
asyncpg. An import-linter contract keeps SQLAlchemy out of every other module of `schema/`.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    SmallInteger,
    String,
    Table,
    and_,
    any_,
    bindparam,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)

from domain.core.access import Viewer, record_rule
from domain.core.reads import Compiled, Row, compile_select
from schema.core import filters
from schema.core.ids import decode_id
from schema.core.pagination import invalid_cursor

Statement: TypeAlias = Select[Any]
Condition: TypeAlias = ColumnElement[bool]

# The parent keys of one batch, as one array parameter: the SQL text never depends on them.
KEYS = bindparam("keys", type_=ARRAY(BigInteger))
LIMIT = bindparam("limit", type_=Integer)


def compiled(statement: Statement, *, one_off: bool = False) -> Compiled:
    """A statement compiled for asyncpg (`domain.core.reads.compile_select`)."""
    return compile_select(statement, one_off=one_off)


def table_of(model: type) -> Table:
    """The Core table of a domain model."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def visible(viewer: Viewer, table: Table) -> Condition:
    """The record rule of `table` for this viewer (`domain.core.access`)."""
    return record_rule(viewer, table)


# Keyset orderings ---------------------------------------------------------------------------


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


def order_by(table: Table, columns: Sequence[str]) -> list[ColumnElement[Any]]:
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


# Relations: one statement per relation and level ------------------------------------------


# A node type's fields computed from its own row: name -> rule (the table -> an expression).
RowValues: TypeAlias = Mapping[str, Callable[[Table], ColumnElement[Any]]]


def row_columns(table: Table, values: RowValues) -> list[ColumnElement[Any]]:
    """The table's row values as columns named like their fields, read with every row."""
    return [rule(table).label(name) for name, rule in values.items()]


def rows_by_id(table: Table, rule: Condition, values: RowValues) -> Statement:
    """Rows whose primary key is among the batch's keys."""
    return select(table, *row_columns(table, values)).where(table.c.id == any_(KEYS), rule)


def children(
    table: Table, key: str, order: Sequence[str], rule: Condition, values: RowValues
) -> Statement:
    """All rows whose `key` is among the batch's keys, in `order`."""
    return (
        select(table, *row_columns(table, values))
        .where(table.c[key] == any_(KEYS), rule)
        .order_by(*order_by(table, order))
    )


def page_per_parent(
    table: Table,
    key: str,
    ordering: Ordering,
    has_after: bool,
    rule: Condition,
    values: RowValues,
) -> Statement:
    """One page per parent for all parents in ONE statement (window functions).

    `count(*) over` is evaluated before the keyset condition, so totals ignore `after`;
    `row_number() over` after it, so each parent gets its own first+1 rows.
    """
    partition = table.c[key]
    counted = (
        select(
            table,
            *row_columns(table, values),
            func.count().over(partition_by=partition).label("_total"),
        )
        .where(partition == any_(KEYS), rule)
        .subquery()
    )
    position = Ordering(
        ordering.name, tuple(counted.c[c.name] for c in ordering.columns), ordering.descending
    )
    is_after = position.after() if has_after else true()
    # Rows before the cursor still carry the parent's total: keep one of them, so a page past
    # the end still knows its totalCount, in this same statement.
    ranked = select(
        counted,
        is_after.label("_after"),
        func.row_number()
        .over(partition_by=(counted.c[key], is_after), order_by=position.sort())
        .label("_rank"),
    ).subquery()
    return (
        select(ranked)
        .where(
            or_(
                and_(ranked.c._after, ranked.c._rank <= LIMIT),
                and_(~ranked.c._after, ranked.c._rank == 1),
            )
        )
        .order_by(ranked.c[key], ranked.c._rank)
    )


class BatchRead:
    """Rows of a statement of the domain's read model (amounts due, statuses, stored
    forecasts) for a whole batch of parent keys: one statement per level.

    `statement(keys)` — or `statement(keys, viewer)` when `by_viewer`: it applies record
    rules — selects rows carrying their parent's key in the column `key`: at most one per key,
    or, when `many`, a list per key in the statement's order.
    """

    def __init__(
        self,
        name: str,
        statement: Callable[..., Statement],
        *,
        key: str,
        many: bool = False,
        by_viewer: bool = False,
    ) -> None:
        self.name = name
        self.statement = statement
        self.key = key
        self.many = many
        self.by_viewer = by_viewer

    def build(self, viewer: Viewer, keys: ColumnElement[Any] = KEYS) -> Statement:
        """The statement for `keys` (the batch's array parameter, or one parent's id)."""
        return self.statement(keys, viewer) if self.by_viewer else self.statement(keys)

    def collect(self, keys: Sequence[Any], rows: Sequence[Row]) -> list[Any]:
        """What each key gets, in order: its row (or None), or its list of rows."""
        if not self.many:
            found = {row[self.key]: row for row in rows}
            return [found.get(k) for k in keys]
        grouped: dict[Any, list[Row]] = {k: [] for k in keys}
        for row in rows:
            grouped[row[self.key]].append(row)
        return [grouped[k] for k in keys]


def row_per_key(name: str, statement: Callable[..., Statement], *, key: str) -> BatchRead:
    """At most one row per parent key."""
    return BatchRead(name, statement, key=key)


def rows_per_key(
    name: str, statement: Callable[..., Statement], *, key: str, by_viewer: bool = False
) -> BatchRead:
    """All rows of each parent key, in the statement's order."""
    return BatchRead(name, statement, key=key, many=True, by_viewer=by_viewer)


# Root lists ---------------------------------------------------------------------------------


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


# Filters ------------------------------------------------------------------------------------


def conditions(filter_input: object | None, table: Table, argument: str) -> list[Condition]:
    """The conditions of a filter input (`schema.core.filters`): one per field given."""
    if filter_input is None:
        return []
    found: list[Condition] = []
    for spec, name, value in filters.given(filter_input):
        found += _condition(spec, table, value, f"{argument}.{name}")
    return found


def _condition(spec: filters.Spec, table: Table, value: Any, path: str) -> list[Condition]:
    if isinstance(spec, filters.AnyOf):
        # Deduplicated: an enum list is then no longer than the enum, however long the request's.
        values = list(dict.fromkeys(item.value for item in value))
        return [_any(table.c[spec.column], values)] if values else []
    if isinstance(spec, filters.Equals):
        return [table.c[spec.column] == spec.normalize(value)]
    if isinstance(spec, filters.Node):
        return [table.c[spec.column] == decode_id(value, spec.type_name, path)]
    if isinstance(spec, filters.Bound):
        column = table.c[spec.column]
        return [column >= value if spec.lower else column <= value]
    if isinstance(spec, filters.Search):
        return [text_search([table.c[c] for c in spec.columns], value)] if value else []
    if isinstance(spec, filters.Rule):
        if value:
            return [spec.condition(table)]
        return [~spec.condition(table)] if spec.negatable else []
    raise TypeError(f"unknown filter {spec!r}")


def _any(column: ColumnElement[Any], values: list[str]) -> Condition:
    # One array parameter (`= ANY($1)`): an expanded IN list costs a bind argument per value.
    return column == any_(literal(values, ARRAY(String)))


def text_search(columns: Sequence[ColumnElement[str]], text: str) -> Condition:
    """Case-insensitive substring match on any of `columns` (trigram-indexed)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*[column.ilike(pattern) for column in columns])
