"""Root connections: keyset pages over a whole table with filters and a chosen ordering."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import GraphQLError, get_named_type
from sqlalchemy import ColumnElement, FromClause, func, select
from strawberry import relay
from strawberry.types import Info

from domain.core.reads import compile_select
from schema.base import TableNode, loaders, parse_key
from schema.loaders import Ordering
from schema.pagination import Connection, build_connection, page_request
from schema.prefetch import collect, prefetch_for

N = TypeVar("N", bound=TableNode)


@dataclass(frozen=True)
class RootOrdering:
    """Sort keys (the last one unique), possibly from a joined table."""

    name: str
    keys: tuple[ColumnElement[Any], ...]
    descending: bool
    source: FromClause | None = None


def wants_total(info: Info) -> bool:
    """Counting all matches costs a second statement: only when `totalCount` is selected."""
    raw = info._raw_info
    connection = raw.parent_type.fields[raw.field_name]
    return "totalCount" in collect(raw, get_named_type(connection.type), raw.field_nodes)


async def root_page(
    info: Info,
    node: type[N],
    *,
    name: str,
    ordering: RootOrdering,
    conditions: Sequence[ColumnElement[bool]],
    first: int | None,
    after: str | None,
) -> Connection[N]:
    """A page of a whole table, then everything the query selects below it, level by level."""
    table = node.TABLE
    ctx = loaders(info)
    request = page_request(name, ordering.name, first, after)
    keyset = Ordering(ordering.name, ordering.keys, ordering.descending)
    source = ordering.source if ordering.source is not None else table
    labelled = [key.label(f"_k{i}") for i, key in enumerate(ordering.keys)]
    where = [ctx.visible(table), *conditions]
    statement = select(table, *labelled).select_from(source).where(*where)
    if request.after is not None:
        statement = statement.where(keyset.after(keyset.after_values(request.after)))
    statement = statement.order_by(*keyset.sort()).limit(request.first + 1)
    rows = await ctx.fetch(compile_select(statement, one_off=True))
    total = 0
    if wants_total(info):
        count = select(func.count().label("n")).select_from(source).where(*where)
        total = (await ctx.fetch(compile_select(count, one_off=True)))[0]["n"]
    keys = [tuple(row[f"_k{i}"] for i in range(len(ordering.keys))) for row in rows]
    connection = build_connection(
        node.from_rows(rows),
        keys,
        connection=name,
        ordering=ordering.name,
        request=request,
        total=total,
    )
    await prefetch_for(info, [edge.node for edge in connection.edges], "edges.node")
    return connection


def decode_id(value: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    """The database key of a global ID of `type_name`, or a clear error naming the field."""
    if value is None:
        return None
    if value.type_name != type_name:
        raise GraphQLError(
            f"`{field}` must be a {type_name} ID, got a {value.type_name} ID",
            extensions={"code": "BAD_USER_INPUT", "argument": field},
        )
    key = parse_key(value.node_id)
    if key is None:
        raise GraphQLError(
            f"`{field}` is not a valid ID", extensions={"code": "BAD_USER_INPUT", "argument": field}
        )
    return key
