"""What a compiled root field will read: a plan of its selection, built from the schema's own
declarations (relations, row values, read guards), free of SQL.

A plan mirrors the selection: objects with their fields by response name, each a column of
the row, a row value, a derived value of the read model, a relation to more objects, a
connection, a constant (`__typename`) or a field the viewer may not read (null and
FORBIDDEN, as its guard would answer). Values that change from one request to the next
without changing the shape (`first`, a cursor, a node's key) are `Param`s, so one plan
serves them all; `schema.core.sql.compiled_reads` renders a plan as one statement.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from graphql import FieldNode, GraphQLError, GraphQLLeafType

from schema.core.nodes import FromRow
from schema.core.relations import Relation


@dataclass(frozen=True)
class Param:
    """A request value bound into the statement under `name`."""

    name: str


@dataclass(frozen=True)
class Column:
    """A leaf read from the row: a column, or a row value's rule over the row."""

    key: str
    type: GraphQLLeafType
    column: str
    rule: Callable[[Any], Any] | None = None
    # For a node's `id`: the type name its global ID carries.
    node_type: str | None = None


@dataclass(frozen=True)
class Constant:
    key: str
    value: Any


@dataclass(frozen=True)
class Denied:
    """A field the viewer may not read: null, and its guard's error at each place it is."""

    key: str
    error: GraphQLError
    nodes: tuple[FieldNode, ...]
    return_type: Any


@dataclass(frozen=True)
class Derived:
    """A value of the read model: `column` of the row its batch read gives the parent."""

    key: str
    type: GraphQLLeafType
    relation: Any  # schema.core.relations.Computed


@dataclass
class ObjectPlan:
    type_name: str
    node_type: type[FromRow]
    fields: list["FieldPlan"] = field(default_factory=list)


@dataclass(frozen=True)
class Related:
    """Objects of a relation (ToOne, Children, RowOf, RowsOf), planned below it."""

    key: str
    relation: Relation[Any]
    object: ObjectPlan


@dataclass(frozen=True)
class CursorSite:
    """Where cursors are made: a connection and its ordering (cursors are sealed later)."""

    index: int
    connection: str
    ordering: str


@dataclass
class ConnectionPlan:
    """A page of a connection: its request values and what the selection asks of it.

    `parts` are (response name, what): `totalCount`, `__typename`, or `edges` /
    `pageInfo` with their own parts (`node` with an object plan, `cursor`, `hasNextPage`,
    `hasPreviousPage`, `startCursor`, `endCursor`, `__typename`).
    """

    first: Param
    after: tuple[Param, ...] | None
    cursor: CursorSite
    parts: list[tuple[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Paged:
    """A nested connection (`Page` relation)."""

    key: str
    relation: Any  # schema.core.relations.Page
    connection: ConnectionPlan
    object: ObjectPlan | None
    where: Any = None  # its `where` input, when given


FieldPlan: TypeAlias = Column | Constant | Denied | Derived | Related | Paged


@dataclass(frozen=True)
class RootList:
    """A root connection: a page of a table, filtered and sorted."""

    node_type: type[FromRow]
    ordering: Any  # schema.core.sql.RootOrdering
    conditions: tuple[Any, ...]
    connection: ConnectionPlan
    object: ObjectPlan | None


@dataclass(frozen=True)
class RootNode:
    """One node by its key (`customer(id:)`, `node(id:)`)."""

    node_type: type[FromRow]
    key: Param
    object: ObjectPlan


RootPlan: TypeAlias = RootList | RootNode
