"""Relation fields, each declared once, loaded for a whole query level at once.

A relation field is one declaration on its node type, whose `.field()` is the strawberry
field itself:

    account_manager: EmployeeRef | None = ToOne["Employee"]("account_manager_id").field(
        "The employee managing this account."
    )

The annotation gives the GraphQL type; the type argument (`ToOne["Employee"]`) gives mypy
the field's Python type, which it checks against the annotation. The field carries its
relation in its metadata, so the schema knows every relation under its GraphQL name: when
the schema is built, `bind_relations` tells each one its name and the node type the field
shows, and checks it against the foreign key it follows (a relation that disagrees with the
data model stops the schema from building).

The kinds: `ToOne` (a foreign key of the parent), `Children` (rows whose foreign key is the
parent), `Page` (the same, keyset-paginated), and for values the domain's read model
computes in SQL (`schema.core.sql.BatchRead`): `Computed` (a value), `RowOf` (an object)
and `RowsOf` (a list of objects). Relations reading the same batch share one statement.

`schema.core.prefetch` loads every selected relation of a level for all its objects before
the resolvers run and keeps each value in the object's `loaded`; the resolver returns it.
When nothing was kept (an object built elsewhere, arguments the prefetch refused) the
resolver loads it through the same DataLoader, batched per level.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Annotated, Any, ClassVar, Generic, TypeVar, cast, get_args

import strawberry
from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    get_named_type,
    is_object_type,
)
from strawberry.dataloader import DataLoader
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import Info

from domain.core.reads import Row
from schema.core import sql
from schema.core.loaders import Loaders, PageRows
from schema.core.nodes import FromRow, row_values
from schema.core.pagination import (
    After,
    Connection,
    First,
    PageRequest,
    build_connection,
    page_request,
)
from schema.core.where import as_input, input_of

T = TypeVar("T")
V = TypeVar("V")

DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF
# Field metadata: the relation a field shows, or (for a plain list field) its estimated size.
RELATION = "bizgraph.relation"
ESTIMATED_ITEMS = "estimated_items"

Arguments = dict[str, Any]


class RelationError(Exception):
    """A relation that does not match the data model (raised while the schema is built)."""


class Relation(Generic[V]):
    """How one relation field's value loads for many parents at once, and the field itself."""

    paged: ClassVar[bool] = False
    # The parent key is the parent's own id: loadable before the parent's row is (prefetch).
    keyed_by_id: ClassVar[bool] = True
    # For a list: how many items the query cost estimate counts per parent. The actual rows
    # of a response are counted as it is built (`schema.core.execution`), so an estimate that
    # a parent exceeds costs nothing unchecked.
    estimated_items: int | None = None

    name: str = ""  # "Type.field", once bound
    _target: type[FromRow] | None = None

    def field(self, description: str, **options: Any) -> V:
        """The strawberry field showing this relation (`options`: more of strawberry's field
        options, such as `permission_classes`)."""
        field = strawberry.field(
            resolver=self._resolver(),
            description=description,
            metadata={RELATION: self},
            **options,
        )
        return cast(V, field)

    def _resolver(self) -> Callable[..., object]:
        relation = self

        def resolve(root: FromRow, info: Info) -> object:
            return relation.resolve(root, info, {})

        return resolve

    @property
    def target(self) -> type[FromRow]:
        """The node type the field shows (known once the schema is built)."""
        if self._target is None:
            raise RelationError(f"{self.name or self!r} shows no node type")
        return self._target

    def bind(self, name: str, owner: type, target: type[FromRow] | None) -> None:
        """Learn the field's name and node type from the built schema, and check them."""
        self.name = name
        self._target = target
        self.check(owner)

    def check(self, owner: type) -> None:
        """Refuse a relation that contradicts the data model (a missing foreign key)."""

    def store_key(self, args: Arguments) -> Hashable:
        return self

    def prepare(self, args: Arguments) -> Any:
        """Validated arguments (a clear GraphQL error for bad ones)."""
        return None

    def parent_key(self, parent: Any) -> Any:
        return parent.id

    def loader(self, loaders: Loaders, prepared: Any) -> DataLoader[Any, Any]:
        raise NotImplementedError

    def convert(self, raw: Any, prepared: Any) -> V:
        """The field's value from what the loader loaded for one parent."""
        raise NotImplementedError

    def nodes(self, value: V) -> Sequence[FromRow]:
        """The objects in a value, whose own relations the prefetch loads next."""
        return ()

    def resolve(self, parent: FromRow, info: Info, args: Arguments) -> V | Awaitable[V]:
        """The field's value: the one loaded ahead, or else an awaitable loading it."""
        key = self.store_key(args)
        loaded = parent.loaded
        if loaded is not None and key in loaded.values:
            return cast(V, loaded.values[key])
        return self._load_one(parent, info, key, args)

    async def _load_one(self, parent: FromRow, info: Info, key: Hashable, args: Arguments) -> V:
        prepared = self.prepare(args)
        [value] = await self.load(info.context.loaders, [parent], prepared, whole_level=False)
        parent.remember(key, value)
        return value

    async def load(
        self, loaders: Loaders, parents: Sequence[Any], prepared: Any, *, whole_level: bool
    ) -> list[V]:
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
        converted: dict[int, V] = {}
        values = []
        for key in keys:
            raw = next(found) if key is not None else None
            # One object per loaded row: a stock item on many lines is built (and prefetched) once.
            marker = id(raw)
            if marker not in converted:
                converted[marker] = self.convert(raw, prepared)
            values.append(converted[marker])
        return values


def _model(kind: type) -> type | None:
    return getattr(kind, "MODEL", None)


def _refers(model: type | None, column: str, target: type | None) -> bool:
    """`model.column` is a foreign key to `target`'s table."""
    if model is None or target is None:
        return False
    table, target_table = sql.table_of(model), sql.table_of(target)
    return column in table.c and any(
        key.column.table is target_table for key in table.c[column].foreign_keys
    )


class ToOne(Relation[T | None]):
    """The object a foreign key of the parent points to (null when missing or not visible)."""

    keyed_by_id = False

    def __init__(self, key: str) -> None:
        self.key = key

    def check(self, owner: type) -> None:
        if not _refers(_model(owner), self.key, _model(self.target)):
            raise RelationError(f"{self.name}: {self.key} is no foreign key to its type's table")

    def parent_key(self, parent: Any) -> Any:
        return getattr(parent, self.key)

    def loader(self, loaders: Loaders, prepared: Any) -> DataLoader[Any, Any]:
        return loaders.by_id(self.target)

    def convert(self, raw: Row | None, prepared: Any) -> T | None:
        return cast(T, self.target.from_row(raw)) if raw is not None else None

    def nodes(self, value: T | None) -> Sequence[FromRow]:
        return [cast(FromRow, value)] if value is not None else []


class Children(Relation[list[T]]):
    """All rows whose foreign key `key` is the parent, in `order` (`-column`: descending)."""

    def __init__(self, key: str, *, order: Sequence[str], estimated_items: int) -> None:
        self.key = key
        self.order = tuple(order)
        self.estimated_items = estimated_items

    def check(self, owner: type) -> None:
        if not _refers(_model(self.target), self.key, _model(owner)):
            raise RelationError(f"{self.name}: {self.key} is no foreign key to the parent")

    def loader(self, loaders: Loaders, prepared: Any) -> DataLoader[Any, Any]:
        return loaders.children(self.name, self.target, self.key, self.order)

    def convert(self, raw: list[Row] | None, prepared: Any) -> list[T]:
        return cast(list[T], self.target.from_rows(raw or []))

    def nodes(self, value: list[T]) -> Sequence[FromRow]:
        return cast(list[FromRow], value)


class Page(Relation[Connection[T]]):
    """A keyset-paginated connection of the rows whose foreign key `key` is the parent."""

    paged = True

    def __init__(self, key: str, *, sort: sql.Sort) -> None:
        self.key = key
        self.sort = sort

    def check(self, owner: type) -> None:
        if not _refers(_model(self.target), self.key, _model(owner)):
            raise RelationError(f"{self.name}: {self.key} is no foreign key to the parent")

    def _resolver(self) -> Callable[..., object]:
        relation = self
        # `Page["Invoice"](…)`: the node type's name, for the lazy `where` input it takes.
        [shown] = get_args(getattr(self, "__orig_class__", Page[Any]))
        name = getattr(shown, "__forward_arg__", None) or getattr(shown, "__name__", "")
        where: Any = Annotated[
            Annotated[f"{name}Where", strawberry.lazy("schema.core.where")] | None,
            strawberry.argument(description="Conditions on the rows listed; all must hold."),
        ]

        def resolve(
            root: FromRow, info: Info, first: First = None, after: After = None, where: Any = None
        ) -> object:
            return relation.resolve(root, info, {"first": first, "after": after, "where": where})

        resolve.__annotations__["where"] = where
        return resolve

    def store_key(self, args: Arguments) -> Hashable:
        # Two aliases with the same conditions share one page; the input's repr names them.
        where = args.get("where")
        return (self, args.get("first"), args.get("after"), None if where is None else repr(where))

    def prepare(self, args: Arguments) -> tuple[PageRequest, Any]:
        request = page_request(self.name, self.sort.name, args.get("first"), args.get("after"))
        where = args.get("where")
        return request, None if where is None else as_input(where, input_of(self.target))

    def loader(self, loaders: Loaders, prepared: tuple[PageRequest, Any]) -> DataLoader[Any, Any]:
        request, where = prepared
        return loaders.page(self.name, self.target, self.key, self.sort, request, where)

    def convert(self, raw: PageRows | None, prepared: tuple[PageRequest, Any]) -> Connection[T]:
        rows = raw.rows if raw is not None else []
        target = self.target
        return build_connection(
            [target.from_row(row) for row in rows],
            [tuple(row[column] for column in self.sort.columns) for row in rows],
            connection=self.name,
            ordering=self.sort.name,
            request=prepared[0],
            total=raw.total if raw is not None else 0,
        )

    def nodes(self, value: Connection[T]) -> Sequence[FromRow]:
        return [cast(FromRow, edge.node) for edge in value.edges]


class Computed(Relation[V]):
    """A value the domain's read model computes in SQL (an amount due, a status): the column
    `column` of the row `read` loads for the parent, or `default` when it loads none.
    Several fields reading one `read` share its statement."""

    def __init__(self, read: sql.BatchRead, column: str, default: V) -> None:
        self.read = read
        self.column = column
        self.default = default

    def loader(self, loaders: Loaders, prepared: Any) -> DataLoader[Any, Any]:
        return loaders.batch(self.read)

    def convert(self, raw: Row | None, prepared: Any) -> V:
        return cast(V, raw[self.column]) if raw is not None else self.default


def _no_row_values(relation: Relation[Any]) -> None:
    # The rows of a batch read come from a statement of the domain, which selects the table's
    # columns only: a node type with row values cannot be built from them.
    if row_values(relation.target):
        raise RelationError(f"{relation.name}: {relation.target.__name__} has row values")


class RowOf(Relation[T | None]):
    """An object made from the row `read` loads for the parent — from the columns named
    `prefix` + field when one row carries several objects — or null when the column
    `present` is null (figures the workers have not computed yet)."""

    def __init__(self, read: sql.BatchRead, *, present: str, prefix: str = "") -> None:
        self.read = read
        self.present = present
        self.prefix = prefix

    def check(self, owner: type) -> None:
        _no_row_values(self)

    def loader(self, loaders: Loaders, prepared: Any) -> DataLoader[Any, Any]:
        return loaders.batch(self.read)

    def convert(self, raw: Row | None, prepared: Any) -> T | None:
        prefix = self.prefix
        if raw is None or raw[prefix + self.present] is None:
            return None
        if not prefix:
            return cast(T, self.target.from_row(raw))
        part = {
            name[len(prefix) :]: value for name, value in raw.items() if name.startswith(prefix)
        }
        return cast(T, self.target.from_row(part))

    def nodes(self, value: T | None) -> Sequence[FromRow]:
        return [cast(FromRow, value)] if value is not None else []


class RowsOf(Relation[list[T]]):
    """The objects made from the rows `read` loads for the parent."""

    def __init__(self, read: sql.BatchRead, *, estimated_items: int) -> None:
        self.read = read
        self.estimated_items = estimated_items

    def check(self, owner: type) -> None:
        _no_row_values(self)

    def loader(self, loaders: Loaders, prepared: Any) -> DataLoader[Any, Any]:
        return loaders.batch(self.read)

    def convert(self, raw: list[Row] | None, prepared: Any) -> list[T]:
        return cast(list[T], self.target.from_rows(raw or []))

    def nodes(self, value: list[T]) -> Sequence[FromRow]:
        return cast(list[FromRow], value)


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


def relation_of(field: GraphQLField) -> Relation[Any] | None:
    """The relation a GraphQL field shows, if it is a relation field."""
    definition = field.extensions.get(DEFINITION)
    metadata = getattr(definition, "metadata", None)
    return metadata.get(RELATION) if metadata else None


def estimated_items(parent: GraphQLObjectType, field_name: str) -> int | None:
    """Items per parent the cost estimate counts for a list field (None: not declared)."""
    field = parent.fields.get(field_name)
    if field is None:
        return None
    relation = relation_of(field)
    if relation is not None:
        return relation.estimated_items
    metadata = getattr(field.extensions.get(DEFINITION), "metadata", None) or {}
    return metadata.get(ESTIMATED_ITEMS)


def _shown_type(field_type: GraphQLOutputType) -> type[FromRow] | None:
    named = get_named_type(field_type)
    if not is_object_type(named):
        return None
    assert isinstance(named, GraphQLObjectType)
    if named.name.endswith("Connection") and "edges" in named.fields:
        edge = get_named_type(named.fields["edges"].type)
        assert isinstance(edge, GraphQLObjectType)
        return _shown_type(edge.fields["node"].type)
    origin = getattr(named.extensions.get(DEFINITION), "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, FromRow) else None


def bind_relations(schema: GraphQLSchema) -> None:
    """Tell every relation of a built schema its field's name and node type, and check it."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        owner = getattr(graphql_type.extensions.get(DEFINITION), "origin", None)
        for name, field in graphql_type.fields.items():
            relation = relation_of(field)
            if relation is not None and owner is not None:
                relation.bind(f"{graphql_type.name}.{name}", owner, _shown_type(field.type))
