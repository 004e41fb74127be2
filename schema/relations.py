"""Relation fields: loaded for a whole query level at once, through per-request DataLoaders.

A relation (an order's lines, a line's stock item, an invoice's amount due) is declared once
as a `Relation`: the loader key of a parent, the DataLoader that loads many keys in one
statement, and how a loaded value becomes the field's value. Node types list theirs in
`RELATIONS`, keyed by GraphQL field name, and their resolvers call `related`.

`schema.prefetch` loads every selected relation of a level for all its objects before the
resolvers run, so `related` usually just returns a stored value, synchronously: no coroutine
per field and no task per list item (docs/PERFORMANCE.md). When nothing was stored (an object
built elsewhere, arguments the prefetch refused) `related` loads through the same DataLoader,
batched per level.

Whether the viewer may read a relation's type is decided by the executor before the field
resolves (`schema.permissions`); the prefetch skips relations it will refuse.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from graphql import GraphQLObjectType
from sqlalchemy import ColumnElement, Table
from strawberry.dataloader import DataLoader
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info

from domain.core.reads import Row
from schema.loaders import Loaders, Ordering, PageRows
from schema.pagination import Connection, PageRequest, build_connection, page_request

Args = dict[str, Any]
STORE = "_related"
# Field metadata of a plain list field (no relation): its `Relation.estimated_items`.
ESTIMATED_ITEMS = "estimated_items"
DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


@dataclass(frozen=True, eq=False)
class Relation:
    """How one relation field is loaded for many parents at once."""

    name: str
    parent_key: Callable[[Any], Any]
    loader: Callable[[Loaders, Any], DataLoader[Any, Any]]
    convert: Callable[[Any, Any], Any]
    nodes: Callable[[Any], Sequence[Any]] | None = None
    paged: bool = False
    page_name: str = ""
    ordering: Ordering | None = None
    pick: Callable[[Any], Any] | None = None
    # The parent key is the parent's own id: loadable before the parent's row is (prefetch).
    keyed_by_id: bool = True
    # For a list: how many items the query cost estimate counts per parent. The actual rows
    # of a response are counted as it is built (`schema.execution`), so an estimate that a
    # parent exceeds costs nothing unchecked.
    estimated_items: int | None = None

    def picking(self, pick: Callable[[Any], Any]) -> "Relation":
        """The same loaded value, seen through `pick` (one load serves several fields)."""
        return replace(self, pick=pick)

    def store_key(self, args: Args) -> Hashable:
        if self.paged:
            return (self.name, args.get("first"), args.get("after"))
        return self.name

    def prepare(self, args: Args) -> Any:
        """Validated arguments (a clear GraphQL error for bad ones)."""
        if not self.paged:
            return None
        assert self.ordering is not None
        return page_request(
            self.page_name, self.ordering.name, args.get("first"), args.get("after")
        )

    async def load(
        self, loaders: Loaders, parents: Sequence[Any], prepared: Any, *, whole_level: bool
    ) -> list[Any]:
        """The field value for each parent, in order; one batched statement for all of them.

        `whole_level`: the parents are all of their level (prefetch), so their keys go to the
        loader's batch function at once; otherwise each key is queued on the DataLoader, which
        batches the keys its sibling resolvers queue in the same tick.
        """
        keys = [self.parent_key(parent) for parent in parents]
        wanted = [k for k in keys if k is not None]
        loader = self.loader(loaders, prepared)
        loaded = await (load_all(loader, wanted) if whole_level else loader.load_many(wanted))
        found = iter(loaded)
        converted: dict[int, Any] = {}
        values = []
        for key in keys:
            raw = next(found) if key is not None else None
            # One object per loaded row: a stock item on many lines is built (and prefetched) once.
            marker = id(raw)
            if marker not in converted:
                converted[marker] = self.convert(raw, prepared)
            values.append(converted[marker])
        return values


def estimated_items(parent: GraphQLObjectType, field_name: str) -> int | None:
    """Items per parent the cost estimate counts for a list field (None: not declared)."""
    owner = parent.extensions.get(DEFINITION)
    relation = getattr(getattr(owner, "origin", None), "RELATIONS", {}).get(field_name)
    if relation is not None:
        return relation.estimated_items
    field = parent.fields.get(field_name)
    definition = field.extensions.get(DEFINITION) if field is not None else None
    metadata = getattr(definition, "metadata", None) or {}
    return metadata.get(ESTIMATED_ITEMS)


async def load_all(loader: DataLoader[Any, Any], keys: Sequence[Any]) -> list[Any]:
    """Values for all keys of a level: cached ones from the loader, the others by one call of
    its batch function.

    The same statement and cache as `load_many`, without its callback per key, which cost more
    than the rows themselves on large levels. Keys being loaded are cached as futures at once,
    so a concurrent level asking for the same keys waits instead of loading them again.
    """
    cache = loader.cache_map
    values: dict[Any, Any] = {}
    pending: dict[Any, Any] = {}
    missing: dict[Any, asyncio.Future[Any]] = {}
    for key in dict.fromkeys(keys):
        future = cache.get(key)
        if future is None:
            missing[key] = future = asyncio.get_running_loop().create_future()
            cache.set(key, future)
        elif future.done():
            values[key] = future.result()
        else:
            pending[key] = future
    if missing:
        try:
            loaded = await loader.load_fn(list(missing))
        except BaseException as error:
            for key, future in missing.items():
                cache.delete(key)
                future.cancel()
            raise error
        for (key, future), value in zip(missing.items(), loaded, strict=True):
            future.set_result(value)
            values[key] = value
    for key, future in pending.items():
        values[key] = await future
    return [values[key] for key in keys]


def store(obj: Any, key: Hashable, value: Any) -> None:
    stored = obj.__dict__.get(STORE)
    if stored is None:
        stored = obj.__dict__[STORE] = {}
    stored[key] = value


def related(obj: Any, info: Info, relation: Relation, **args: Any) -> Any:
    """A relation field's value: the prefetched one, or else an awaitable loading it."""
    stored = obj.__dict__.get(STORE)
    key = relation.store_key(args)
    if stored is not None and key in stored:
        value = stored[key]
        return relation.pick(value) if relation.pick is not None else value
    return _load(obj, info, relation, key, args)


async def _load(obj: Any, info: Info, relation: Relation, key: Hashable, args: Args) -> Any:
    prepared = relation.prepare(args)
    [value] = await relation.load(info.context.loaders, [obj], prepared, whole_level=False)
    store(obj, key, value)
    return relation.pick(value) if relation.pick is not None else value


def _build(target: Callable[[], Any], row: Row | None) -> Any:
    return target().from_row(row) if row is not None else None


def to_one(name: str, target: Callable[[], Any], foreign_key: str) -> Relation:
    """The object a foreign key points to (null when missing or not visible)."""
    return Relation(
        name,
        parent_key=lambda parent: getattr(parent, foreign_key),
        loader=lambda loaders, _: loaders.by_id(target().TABLE),
        convert=lambda row, _: _build(target, row),
        nodes=lambda value: [value] if value is not None else [],
        keyed_by_id=False,
    )


def children(
    name: str,
    target: Callable[[], Any],
    table: Table,
    key: str,
    order: Sequence[ColumnElement[Any]],
    where: ColumnElement[bool] | None = None,
    *,
    estimated_items: int,
) -> Relation:
    """All rows of `table` whose `key` is the parent's id, in `order`."""
    return Relation(
        name,
        parent_key=lambda parent: parent.id,
        loader=lambda loaders, _: loaders.children(table, key, order, where, name=name),
        convert=lambda rows, _: [target().from_row(row) for row in rows],
        nodes=lambda value: value,
        estimated_items=estimated_items,
    )


def page(
    name: str,
    target: Callable[[], Any],
    key: str,
    ordering: Ordering,
    where: ColumnElement[bool] | None = None,
) -> Relation:
    """A keyset-paginated connection of the parent's rows (`first`/`after`)."""

    def convert(found: PageRows | None, request: PageRequest) -> Connection[Any]:
        rows = found.rows if found is not None else []
        node = target()
        return build_connection(
            [node.from_row(row) for row in rows],
            [tuple(row[column.name] for column in ordering.columns) for row in rows],
            connection=name,
            ordering=ordering.name,
            request=request,
            total=found.total if found is not None else 0,
        )

    return Relation(
        name,
        parent_key=lambda parent: parent.id,
        loader=lambda loaders, request: loaders.page(
            name, target().TABLE, key, ordering, request, where
        ),
        convert=convert,
        nodes=lambda connection: [edge.node for edge in connection.edges],
        paged=True,
        page_name=name,
        ordering=ordering,
    )


def derived(
    name: str,
    batch: Callable[[Loaders, list[Any]], Awaitable[list[Any]]],
    *,
    nodes: Callable[[Any], Sequence[Any]] | None = None,
    estimated_items: int | None = None,
) -> Relation:
    """A value computed in SQL by `batch` for many parents' ids (one statement per level)."""
    return Relation(
        name,
        parent_key=lambda parent: parent.id,
        loader=lambda loaders, _: loaders.custom(name, batch),
        convert=lambda value, _: value,
        nodes=nodes,
        estimated_items=estimated_items,
    )
