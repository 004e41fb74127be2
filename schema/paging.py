"""Turning page rows from the loaders into connections."""

from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table
from strawberry.types import Info

from schema.base import TableNode, loaders
from schema.loaders import Ordering
from schema.pagination import Connection, build_connection, page_request

N = TypeVar("N", bound=TableNode)


def newest_first(table: Table, column: str) -> Ordering:
    return Ordering("newest", (table.c[column], table.c.id), descending=True)


async def child_page(
    info: Info,
    node: type[N],
    *,
    name: str,
    key: str,
    parent_id: int,
    ordering: Ordering,
    first: int | None,
    after: str | None,
    where: ColumnElement[bool] | None = None,
) -> Connection[N]:
    """A nested connection: the parent's page comes from one statement for all parents."""
    request = page_request(name, ordering.name, first, after)
    page = await loaders(info).page(name, node.TABLE, key, ordering, request, where).load(parent_id)
    keys = [tuple(row[column.name] for column in ordering.columns) for row in page.rows]
    return build_connection(
        node.from_rows(page.rows),
        keys,
        connection=name,
        ordering=ordering.name,
        request=request,
        total=page.total,
    )


def first_arg() -> Any:
    import strawberry

    return strawberry.argument(description="Page size (at most 100; default 20).")


def after_arg() -> Any:
    import strawberry

    return strawberry.argument(description="Return rows after this cursor (`pageInfo.endCursor`).")
