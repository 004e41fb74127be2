"""The statements of relations: one per relation and level, for all parents' keys at once."""

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias

from sqlalchemy import ColumnElement, Table, and_, any_, func, or_, select, true

from domain.core.access import Viewer
from domain.core.reads import Row
from schema.core.sql.base import KEYS, LIMIT, Condition, Statement, listed
from schema.core.sql.orderings import Ordering, order_by

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
        .where(table.c[key] == any_(KEYS), rule, *listed(table))
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
        .where(partition == any_(KEYS), rule, *listed(table))
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
