"""`node(id:)` and `nodes(ids:)`: any object of the graph by its global ID.

Both return an abstract type, so the field guards of `schema.core.permissions` cannot know
what they will hold: they check the type an ID names themselves, before anything is loaded
(`refuse_unreadable`). Were the row looked up first, a missing one would answer NOT_FOUND
and an existing one FORBIDDEN, telling a denied role which IDs exist. Rows a record rule
hides (another rep's customer) are loaded as missing, so they answer exactly like IDs that
never were.
"""

import asyncio
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import Info

from schema.core.compiled.planner import ROOT_READ, RootNode
from schema.core.ids import as_key
from schema.core.nodes import TableNode
from schema.core.permissions import refuse_unreadable, unreadable, viewer_of
from schema.core.prefetch import prefetch_for, prefetch_node

MAX_IDS = 100


async def node_or_error(info: Info, id: relay.GlobalID, expected: type | None = None) -> relay.Node:
    """The node an ID names; a BAD_USER_INPUT or NOT_FOUND error otherwise."""
    if expected is not None and id.type_name != expected.__name__:
        raise GraphQLError(
            f"expected a {expected.__name__} ID, got a {id.type_name} ID",
            extensions={"code": "BAD_USER_INPUT"},
        )
    try:
        node = await id.resolve_node(info, required=False)
    except (KeyError, ValueError) as error:
        raise GraphQLError(
            f"unknown node type {id.type_name!r}", extensions={"code": "BAD_USER_INPUT"}
        ) from error
    if node is None:
        raise GraphQLError(
            f"{id.type_name} {id.node_id} does not exist", extensions={"code": "NOT_FOUND"}
        )
    return node


def _node_type(info: Info, id: relay.GlobalID) -> type[TableNode] | None:
    definition = info.schema.get_type_by_name(id.type_name)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, TableNode) else None


def _key(id: relay.GlobalID) -> int | None:
    key = as_key(id.node_id)
    return key if key >= 0 else None


async def one_node(
    info: Info, id: relay.GlobalID, expected: type[TableNode] | None = None
) -> relay.Node:
    """The node an ID names (of type `expected`, if given) and everything the query selects
    below it, loaded ahead of the resolvers."""
    refuse_unreadable(viewer_of(info.context), id.type_name)
    kind = _node_type(info, id)
    key = _key(id)
    if kind is None or key is None or (expected is not None and kind is not expected):
        return await node_or_error(info, id, expected)
    return await prefetch_node(info, kind, key, lambda: node_or_error(info, id, expected))


async def _resolve_optional(info: Info, gid: relay.GlobalID) -> relay.Node | None:
    try:
        return await gid.resolve_node(info, required=False)
    except (KeyError, ValueError):
        return None


@strawberry.type
class NodeQueries:
    @strawberry.field(
        description="Any object by its global ID (an error if it does not exist).",
        metadata={ROOT_READ: RootNode(None)},
    )
    async def node(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="Global ID.")],
    ) -> relay.Node | None:
        return await one_node(info, id)

    @strawberry.field(
        description="Objects by global IDs, in order; null for IDs that do not exist."
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[list[relay.GlobalID], strawberry.argument(description="Global IDs.")],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_IDS:
            raise GraphQLError(
                f"at most {MAX_IDS} IDs per request", extensions={"code": "BAD_USER_INPUT"}
            )
        viewer = viewer_of(info.context)
        # An ID of a type the viewer may not read answers FORBIDDEN at its index, the same
        # whether it exists or not.
        refused = [unreadable(viewer, gid.type_name) for gid in ids]
        # Gathered, so the by-id loader batches every ID of a type into one statement.
        wanted = [gid for gid, error in zip(ids, refused, strict=True) if error is None]
        found = list(await asyncio.gather(*(_resolve_optional(info, gid) for gid in wanted)))
        await prefetch_for(info, found)
        loaded = iter(found)
        # graphql-core reports an error in a list's place as that item's error (null there).
        return [next(loaded) if error is None else error for error in refused]  # type: ignore[misc]
