"""Root connections: keyset pages over a whole table, filtered and sorted, from one factory.

`root_connection` makes the root field of a node type: its `first`/`after` arguments, its
`where` input (`schema.core.where`: conditions across relations), its flat filter input
(`schema.core.filters`) and its sort (`RootSort`: fixed, by date with an
`orderBy: DateOrder` argument, or an input of the node's own), and a resolver that reads
the page, counts the matches when `totalCount` is asked for, and prefetches everything the
query selects below it, level by level.
"""

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import get_named_type
from strawberry.types import Info

from schema.core import sql
from schema.core.compiled.planner import ROOT_READ, RootList
from schema.core.nodes import TableNode, row_values
from schema.core.pagination import After, Connection, First, build_connection, page_request
from schema.core.prefetch import collect, prefetch_for
from schema.core.where import where_of


@strawberry.enum(description="Sort direction.")
class Direction(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.input(description="Sort direction for lists sorted by their main date.")
class DateOrder:
    direction: Direction = strawberry.field(
        default=Direction.DESC, description="DESC = newest first."
    )


@dataclass(frozen=True)
class RootSort:
    """How a root list is sorted: with an `orderBy` argument of type `argument` (described by
    `description`) or without one (`argument` None); `ordering` turns the argument's value
    (None when not given) into the keyset ordering of a table."""

    ordering: Callable[[Any, sql.Table], sql.RootOrdering]
    argument: type | None = None
    description: str = ""


@dataclass(frozen=True)
class Narrow:
    """One more argument of a root list narrowing its rows (`customers(segment:)`): its
    name, type and description, and the conditions it sets (`conditions(info, value,
    table)`, awaited: it may read what it stands for). Lists given one take the general
    path."""

    name: str
    annotation: Any
    description: str
    conditions: Callable[[Info, Any, sql.Table], Awaitable[list[sql.Condition]]]


def fixed(column: str) -> RootSort:
    """Always by one column, lowest first."""
    return RootSort(lambda _, table: sql.by_columns(table, column, descending=False))


def by_date(column: str) -> RootSort:
    """By a date or time column, newest first unless `orderBy` says otherwise."""

    def ordering(order: DateOrder | None, table: sql.Table) -> sql.RootOrdering:
        descending = order is None or order.direction == Direction.DESC
        return sql.by_columns(table, column, descending=descending)

    return RootSort(ordering, DateOrder, "Sort by date (default newest first).")


def wants_total(info: Info) -> bool:
    """Counting all matches costs a second statement: only when `totalCount` is selected."""
    raw = info._raw_info
    connection = raw.parent_type.fields[raw.field_name]
    return "totalCount" in collect(raw, get_named_type(connection.type), raw.field_nodes)


async def root_page(
    info: Info,
    node: type[TableNode],
    ordering: sql.RootOrdering,
    conditions: list[sql.Condition],
    first: int | None,
    after: str | None,
) -> Connection[Any]:
    """A page of a whole table, then everything the query selects below it, level by level.

    Cursors belong to the root field (`info.field_name`) and its ordering.
    """
    loaders = info.context.loaders
    table = sql.table_of(node.MODEL)
    request = page_request(info.field_name, ordering.name, first, after)
    page = sql.root_page(
        table,
        ordering,
        [loaders.visible(table), *conditions],
        row_values(node),
        first=request.first,
        after=request.after,
    )
    rows = await loaders.fetch_once(page.rows)
    total = (await loaders.fetch_once(page.count))[0]["n"] if wants_total(info) else 0
    connection = build_connection(
        node.from_rows(rows),
        [tuple(row[f"_k{i}"] for i in range(page.key_count)) for row in rows],
        connection=info.field_name,
        ordering=ordering.name,
        request=request,
        total=total,
    )
    await prefetch_for(info, [edge.node for edge in connection.edges], "edges.node")
    return connection


def root_connection(
    node: type[TableNode],
    *,
    description: str,
    sort: RootSort,
    filter: type | None = None,
    narrow: Narrow | None = None,
) -> Any:
    """The root field listing `node`'s table: `(first, after[, filter][, orderBy])`.

    Nullable, so a denial (the node type, or what its `where` reads) nulls this field only.
    """

    async def resolve(
        info: Info,
        first: int | None = None,
        after: str | None = None,
        where: Any = None,
        filter: Any = None,
        order_by: Any = None,
        **narrowed: Any,
    ) -> Connection[Any]:
        table = sql.table_of(node.MODEL)
        ordering = sort.ordering(order_by, table)
        conditions = sql.root_conditions(table, info.context.viewer, where, filter)
        if narrow is not None and narrowed.get(narrow.name) is not None:
            conditions += await narrow.conditions(info, narrowed[narrow.name], table)
        return await root_page(info, node, ordering, conditions, first, after)

    parameters = [
        inspect.Parameter("info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Info),
        _argument("first", First),
        _argument("after", After),
        _argument(
            "where",
            _described(
                where_of(node),
                "Conditions on the records, their relations and derived values; all must hold.",
            ),
        ),
    ]
    if filter is not None:
        parameters.append(_argument("filter", _described(filter, "Filters.")))
    if sort.argument is not None:
        parameters.append(_argument("order_by", _described(sort.argument, sort.description)))
    if narrow is not None:
        parameters.append(_argument(narrow.name, _described(narrow.annotation, narrow.description)))
    # Nullable, so a denial nulls this field only: of a type some roles may not read, or
    # refused for a `where` on something they may not read.
    returns = Connection[node] | None
    resolve.__signature__ = inspect.Signature(parameters, return_annotation=returns)  # type: ignore[attr-defined]
    return strawberry.field(
        resolver=resolve,
        description=description,
        metadata={ROOT_READ: RootList(node, sort.ordering, narrow.name if narrow else None)},
    )


def _argument(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
    )


def _described(kind: type, description: str) -> Any:
    return Annotated[kind | None, strawberry.argument(description=description)]
