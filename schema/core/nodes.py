"""Objects of the graph made straight from database rows, and the values loaded for them.

A node type is a strawberry type over one table of the domain (`MODEL`). Its attribute
fields are plain (no resolver: the cheapest field there is); its relation fields
(`schema.core.relations`) keep the values loaded for them in the object's `loaded`, filled
for a whole query level at once before the resolvers run (`schema.core.prefetch`).
"""

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, ClassVar, Self

import strawberry
from strawberry import relay
from strawberry.types import Info
from strawberry.types.base import get_object_definition

from schema.core.ids import as_key


def desc(text: str) -> Any:
    """A plain attribute field with a description."""
    return strawberry.field(description=text)


ROW_VALUE = "bizgraph.row_value"


def row_value(rule: Callable[[Any], Any], description: str) -> Any:
    """A field computed from its own row by a read rule of the domain: `rule(table)` is an
    SQL expression over the node's table, read with every row as a column named like the
    field (so the field is a plain attribute, and costs no statement of its own)."""
    return strawberry.field(description=description, metadata={ROW_VALUE: rule})


_ROW_VALUES: dict[type, dict[str, Callable[[Any], Any]]] = {}


def row_values(node_type: type) -> dict[str, Callable[[Any], Any]]:
    """The row values of a node type, by field (Python) name."""
    found = _ROW_VALUES.get(node_type)
    if found is None:
        definition = get_object_definition(node_type, strict=True)
        found = _ROW_VALUES[node_type] = {
            field.python_name: field.metadata[ROW_VALUE]
            for field in definition.fields
            if ROW_VALUE in (field.metadata or {})
        }
    return found


class Loaded:
    """The values of an object's relation fields, by relation (and page arguments)."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        self.values: dict[Hashable, object] = {}


class FromRow:
    """A GraphQL object made straight from a database row.

    Rows become the instance's attributes as they are: no dataclass `__init__`, no per-field
    conversion. Enum fields keep the stored lowercase value, which the GraphQL enum serialises
    by a dictionary lookup (cheaper than building Python enum members first).
    """

    # The domain model of the rows (class attributes: strawberry's dataclass leaves them be).
    MODEL: ClassVar[type]
    # Not a field: a plain class attribute, so strawberry's dataclass leaves it alone.
    loaded: Loaded | None = None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        obj = cls.__new__(cls)
        obj.__dict__.update(row.items())
        return obj

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> list[Self]:
        return [cls.from_row(row) for row in rows]

    def remember(self, key: Hashable, value: object) -> None:
        """Keep a relation's value for the field's resolver (and the executor) to read."""
        loaded = self.loaded
        if loaded is None:
            loaded = self.loaded = Loaded()
        loaded.values[key] = value


@strawberry.type
class KeyedByOwner(FromRow):
    """Figures kept about one record (a customer's metrics, a campaign's results), with an
    `id` made of this type's name and that record's key: normalized client caches (Apollo,
    Relay, urql) keep one copy per record and merge what different queries select, instead
    of replacing it. Not a Relay node: it is refetched through its owner."""

    OWNER_KEY: ClassVar[str]  # the row's column holding the owner's key

    @strawberry.field(
        description="Unique across the graph: this type and the record these figures are about."
    )
    def id(self) -> strawberry.ID:
        definition = get_object_definition(type(self), strict=True)
        return strawberry.ID(relay.to_base64(definition.name, getattr(self, self.OWNER_KEY)))


class TableNode(FromRow, relay.Node):
    """A Relay node backed by one table of the domain."""

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        ids = [as_key(node_id) for node_id in node_ids]
        rows = await info.context.loaders.by_id(cls).load_many(ids)
        return [cls.from_row(row) if row is not None else None for row in rows]
