"""Root connections: keyset pages over a whole table with filters and a chosen ordering."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from graphql import GraphQLError
from sqlalchemy import ColumnElement, FromClause, func, select
from strawberry import relay
from strawberry.types import Info

from schema.base import TableNode, loaders
from schema.loaders import Ordering
from schema.pagination import Connection, build_connection, page_request

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
    return any(field.name == "totalCount" for field in info.selected_fields[0].selections)  # type: ignore[union-attr]


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
    table = node.TABLE
    ctx = loaders(info)
    request = page_request(name, ordering.name, first, after)
    keyset = Ordering(ordering.name, ordering.keys, ordering.descending)
    labelled = [key.label(f"_k{i}") for i, key in enumerate(ordering.keys)]
    where = [ctx.visible(table), *conditions]
    statement = select(table, *labelled).select_from(
        ordering.source if ordering.source is not None else table
    )
    if request.after is not None:
        if len(request.after) != len(ordering.keys):
            raise GraphQLError(
                "`after` does not match this ordering", extensions={"code": "BAD_USER_INPUT"}
            )
        statement = statement.where(keyset.after(request.after))
    statement = statement.where(*where).order_by(*keyset.sort()).limit(request.first + 1)
    rows = await ctx.fetch(statement)
    total = 0
    if wants_total(info):
        source = ordering.source if ordering.source is not None else table
        count = select(func.count().label("n")).select_from(source).where(*where)
        total = (await ctx.fetch(count))[0]["n"]
    keys = [tuple(row[f"_k{i}"] for i in range(len(ordering.keys))) for row in rows]
    return build_connection(
        node.from_rows(rows),
        keys,
        connection=name,
        ordering=ordering.name,
        request=request,
        total=total,
    )


def decode_id(value: relay.GlobalID | None, type_name: str, field: str) -> int | None:
    """The database key of a global ID of `type_name`, or a clear error naming the field."""
    if value is None:
        return None
    if value.type_name != type_name:
        raise GraphQLError(
            f"`{field}` must be a {type_name} ID, got a {value.type_name} ID",
            extensions={"code": "BAD_USER_INPUT"},
        )
    try:
        return int(value.node_id)
    except ValueError as error:
        raise GraphQLError(
            f"`{field}` is not a valid ID", extensions={"code": "BAD_USER_INPUT"}
        ) from error
