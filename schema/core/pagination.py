"""Keyset pagination: opaque cursors, page-size limits and generic connection types.

A cursor holds the connection it came from, the sort it was made for, and the row's sort
key, so a cursor from another connection or ordering is refused instead of silently
returning a wrong page. It is sealed (`schema.core.cursors`): clients can neither read the sort
key nor make a cursor of their own; anything but a cursor we issued is `BAD_USER_INPUT` on
`after`. Cursors are sealed only when asked for (`cursor`, `startCursor`, `endCursor`).
"""

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError

from schema.core import cursors

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

NodeT = TypeVar("NodeT")

First = Annotated[
    int | None, strawberry.argument(description="Page size (at most 100; default 20).")
]
After = Annotated[
    str | None, strawberry.argument(description="Rows after this cursor (`endCursor`).")
]


@strawberry.type(description="Where a page sits in its connection.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More rows follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Rows precede this page (an `after` was given)."
    )
    first_key: strawberry.Private[tuple[Any, ...] | None]
    last_key: strawberry.Private[tuple[Any, ...] | None]
    connection: strawberry.Private[str]
    ordering: strawberry.Private[str]

    @strawberry.field(description="Cursor of the first edge.")
    def start_cursor(self) -> str | None:
        if self.first_key is None:
            return None
        return encode_cursor(self.connection, self.ordering, self.first_key)

    @strawberry.field(description="Cursor of the last edge; pass as `after`.")
    def end_cursor(self) -> str | None:
        if self.last_key is None:
            return None
        return encode_cursor(self.connection, self.ordering, self.last_key)


@strawberry.type(description="One row of a connection with its cursor.")
class Edge(Generic[NodeT]):
    node: NodeT = strawberry.field(description="The row.")
    key: strawberry.Private[tuple[Any, ...]]
    connection: strawberry.Private[str]
    ordering: strawberry.Private[str]

    @strawberry.field(description="Opaque position of this row.")
    def cursor(self) -> str:
        # Encoded only when asked for: most clients read `pageInfo.endCursor` alone.
        return encode_cursor(self.connection, self.ordering, self.key)


@strawberry.type(description="A page of rows, keyset-paginated.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]] = strawberry.field(description="The rows of this page.")
    page_info: PageInfo = strawberry.field(description="Paging information.")
    total_count: int = strawberry.field(description="Rows matching the filter, on all pages.")


@dataclass(frozen=True)
class PageRequest:
    """What a client asked for: how many rows after which position."""

    first: int
    after: tuple[Any, ...] | None


def page_request(
    connection: str, ordering: str, first: int | None, after: str | None
) -> PageRequest:
    """Validate `first`/`after` for `connection` sorted by `ordering`."""
    size = DEFAULT_PAGE_SIZE if first is None else first
    if size < 0:
        raise GraphQLError("`first` must not be negative", extensions={"code": "BAD_USER_INPUT"})
    if size > MAX_PAGE_SIZE:
        raise GraphQLError(
            f"`first` may be at most {MAX_PAGE_SIZE} (asked for {size})",
            extensions={"code": "BAD_USER_INPUT"},
        )
    return PageRequest(size, decode_cursor(connection, ordering, after) if after else None)


def invalid_cursor(message: str = "`after` is not a valid cursor") -> GraphQLError:
    """The error of a cursor we cannot use, naming the argument it came in."""
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT", "argument": "after"})


def encode_cursor(connection: str, ordering: str, key: tuple[Any, ...]) -> str:
    return cursors.current().seal([connection, ordering, [_plain(value) for value in key]])


def decode_cursor(connection: str, ordering: str, cursor: str) -> tuple[Any, ...]:
    try:
        payload = cursors.current().open(cursor)
    except cursors.InvalidCursor as error:
        raise invalid_cursor() from error
    if len(payload) != 3 or not isinstance(payload[2], list):
        raise invalid_cursor()
    name, made_for, key = payload
    if name != connection or made_for != ordering:
        raise invalid_cursor(
            f"`after` is a cursor of another connection or ordering (expected {connection})"
        )
    return tuple(key)


def _plain(value: Any) -> Any:
    if isinstance(value, (int, str)) or value is None:
        return value
    return str(value)


def build_connection(
    nodes: list[Any],
    keys: list[tuple[Any, ...]],
    *,
    connection: str,
    ordering: str,
    request: PageRequest,
    total: int,
) -> Connection[Any]:
    """A connection from up to first+1 fetched rows (the extra row only signals a next page)."""
    has_next = len(nodes) > request.first
    nodes, keys = nodes[: request.first], keys[: request.first]
    return Connection(
        edges=[
            Edge(node=node, key=key, connection=connection, ordering=ordering)
            for node, key in zip(nodes, keys, strict=True)
        ],
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=request.after is not None,
            first_key=keys[0] if keys else None,
            last_key=keys[-1] if keys else None,
            connection=connection,
            ordering=ordering,
        ),
        total_count=total,
    )
