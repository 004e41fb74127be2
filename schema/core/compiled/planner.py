"""Planning a root field's selection for a compiled read (`plans`), or saying it cannot be.

The planner walks the selection as graphql-core collects it (fragments, aliases and
`@skip`/`@include` honoured) and reads every field from the schema's declarations: a
relation (`schema.core.relations`), a row value, a plain attribute of the row, the parts of
a connection. Each field's read guard (`schema.core.permissions`) is asked here, with the
field's arguments: a field the viewer may not read is planned as `Denied`. Anything else —
a resolver written in Python, a strawberry field extension, an abstract type — raises
`Unsupported`, and the root field takes the general path.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import get_argument_values
from strawberry import relay
from strawberry.types.arguments import convert_arguments

from domain.core.access import Viewer
from schema.core import sql
from schema.core.compiled import plans as p
from schema.core.nodes import ROW_VALUE, FromRow, KeyedByOwner
from schema.core.permissions import guard_of, unreadable
from schema.core.relations import (
    DEFINITION,
    Children,
    Computed,
    Page,
    RowOf,
    RowsOf,
    ToOne,
    relation_of,
)

# Field metadata of the root fields that compile: a `RootList` or a `RootNode`.
ROOT_READ = "bizgraph.root_read"

_CONNECTION_PARTS = {"edges", "pageInfo", "totalCount", "__typename"}
_EDGE_PARTS = {"node", "cursor", "__typename"}
_PAGE_INFO_PARTS = {"hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"}

Collect = Callable[[GraphQLObjectType, list[FieldDetails]], dict[str, list[FieldDetails]]]


class Unsupported(Exception):
    """A selection the compiler does not cover: the root field takes the general path."""


@dataclass(frozen=True)
class RootList:
    """A root list field (`schema.core.connections.root_connection`): its node type, its
    sort (the `orderBy` value and the table give the ordering) and its filter."""

    node_type: type[FromRow]
    ordering: Callable[[Any, Any], Any]
    # An argument narrowing the rows by what it reads first (`segment`): given, the list
    # takes the general path.
    narrowing: str | None = None


@dataclass(frozen=True)
class RootNode:
    """A root field answering one node by `id`: of `node_type`, or of any table node."""

    node_type: type[FromRow] | None


@dataclass(frozen=True)
class ConnectionSource:
    """Where a connection's request values come from, to bind them on each request."""

    plan: p.ConnectionPlan
    definition: GraphQLField
    node: FieldNode
    ordering: Any  # schema.core.sql.Ordering: types the cursor's keys


@dataclass
class Bindings:
    """The request values of a plan: its connections' `first`/`after`, a node's `id`."""

    connections: list[ConnectionSource] = field(default_factory=list)
    key: tuple[p.Param, GraphQLField, FieldNode, str] | None = None
    # The values of connections whose `first` and `after` the document writes out, by index
    # (None: invalid), bound once for every request of the plan.
    written: dict[int, dict[str, Any] | None] = field(default_factory=dict)


class Planner:
    """Plans one root field for one viewer; `collect` is the executor's sub-field collection
    and `variables` the request's coerced variable values."""

    def __init__(
        self, schema: GraphQLSchema, viewer: Viewer, variables: Any, collect: Collect
    ) -> None:
        self.schema = schema
        self.viewer = viewer
        self.variables = variables
        self.collect = collect
        self.sites: list[p.CursorSite] = []
        self.bindings = Bindings()
        self.denied = False

    def _raw(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """Argument values by GraphQL name, as resolvers and guards receive them."""
        return get_argument_values(definition, node, self.variables)

    def _converted(self, definition: GraphQLField, node: FieldNode) -> dict[str, Any]:
        """Argument values as strawberry passes them to Python (input objects built)."""
        strawberry_schema = self.schema._strawberry_schema  # type: ignore[attr-defined]
        try:
            return convert_arguments(
                self._raw(definition, node),
                definition.extensions[DEFINITION].arguments,
                strawberry_schema.schema_converter.scalar_registry,
                strawberry_schema.config,
            )
        except Exception as error:  # the general path reports bad arguments
            raise Unsupported("arguments") from error

    # Roots ---------------------------------------------------------------------------------

    def root(self, definition: GraphQLField, details: list[FieldDetails]) -> p.RootPlan:
        metadata = getattr(definition.extensions.get(DEFINITION), "metadata", None) or {}
        read = metadata.get(ROOT_READ)
        if read is None:
            raise Unsupported("not a compiled root field")
        node = details[0].node
        guard = guard_of(definition)
        if guard is not None and guard.denial(self.viewer, self._raw(definition, node)):
            raise Unsupported("refused")  # its guard answers, on the general path
        arguments = self._converted(definition, node)
        if isinstance(read, RootNode):
            return self._root_node(read, definition, node, arguments.get("id"), details)
        if read.narrowing is not None and arguments.get(read.narrowing) is not None:
            raise Unsupported(read.narrowing)
        table = sql.table_of(read.node_type.MODEL)
        ordering = read.ordering(arguments.get("order_by"), table)
        try:
            conditions = tuple(
                sql.root_conditions(
                    table, self.viewer, arguments.get("where"), arguments.get("filter")
                )
            )
        except GraphQLError as error:  # the general path reports it
            raise Unsupported("where") from error
        keyset = sql.Ordering(ordering.name, ordering.keys, ordering.descending)
        connection_type = _object_type(definition.type)
        connection, obj = self._connection(
            connection_type, details, definition, node, node.name.value, keyset
        )
        return p.RootList(read.node_type, ordering, conditions, connection, obj)

    def _root_node(
        self,
        read: RootNode,
        definition: GraphQLField,
        node: FieldNode,
        global_id: Any,
        details: list[FieldDetails],
    ) -> p.RootNode:
        if not isinstance(global_id, relay.GlobalID):
            raise Unsupported("no ID")
        if unreadable(self.viewer, global_id.type_name) is not None:
            raise Unsupported("refused")  # the general path answers FORBIDDEN
        graphql_type = self.schema.get_type(global_id.type_name)
        if not isinstance(graphql_type, GraphQLObjectType):
            raise Unsupported("not an object type")
        origin = getattr(graphql_type.extensions.get(DEFINITION), "origin", None)
        if read.node_type is not None and origin is not read.node_type:
            raise Unsupported("another type")  # the general path says which
        if not (isinstance(origin, type) and issubclass(origin, FromRow)):
            raise Unsupported("not made from rows")
        if getattr(origin, "MODEL", None) is None:
            raise Unsupported("not a table node")
        key = p.Param("node_key")
        self.bindings.key = (key, definition, node, global_id.type_name)
        return p.RootNode(origin, key, self.object(graphql_type, details))

    # Objects -------------------------------------------------------------------------------

    def object(self, graphql_type: GraphQLObjectType, details: list[FieldDetails]) -> p.ObjectPlan:
        origin = getattr(graphql_type.extensions.get(DEFINITION), "origin", None)
        if not (isinstance(origin, type) and issubclass(origin, FromRow)):
            raise Unsupported(f"{graphql_type.name} is not made from rows")
        plan = p.ObjectPlan(graphql_type.name, origin)
        for key, field_details in self.collect(graphql_type, details).items():
            plan.fields.append(self._field(graphql_type, origin, key, field_details))
        return plan

    def _field(
        self,
        parent: GraphQLObjectType,
        origin: type,
        key: str,
        details: list[FieldDetails],
    ) -> p.FieldPlan:
        node = details[0].node
        name = node.name.value
        if name == "__typename":
            return p.Constant(key, parent.name)
        definition = parent.fields[name]
        denied = self._denial(definition, node, key, details)
        if denied is not None:
            return denied
        strawberry_field = definition.extensions.get(DEFINITION)
        if strawberry_field is None or strawberry_field.extensions:
            raise Unsupported(f"{parent.name}.{name} runs field extensions")
        relation = relation_of(definition)
        if relation is not None:
            return self._relation(relation, definition, key, details)
        named = get_named_type(definition.type)
        if not is_leaf_type(named):
            raise Unsupported(f"{parent.name}.{name} is resolved in Python")
        assert isinstance(named, GraphQLLeafType)
        if name == "id" and issubclass(origin, relay.Node):
            return p.Column(key, named, "id", node_type=parent.name)
        if name == "id" and issubclass(origin, KeyedByOwner):
            return p.Column(key, named, origin.OWNER_KEY, node_type=parent.name)
        rule = (strawberry_field.metadata or {}).get(ROW_VALUE)
        if rule is None and not strawberry_field.is_basic_field:
            raise Unsupported(f"{parent.name}.{name} is resolved in Python")
        return p.Column(key, named, strawberry_field.python_name, rule)

    def _denial(
        self, definition: GraphQLField, node: FieldNode, key: str, details: list[FieldDetails]
    ) -> p.Denied | None:
        guard = guard_of(definition)
        if guard is None:
            return None
        error = guard.denial(self.viewer, self._raw(definition, node))
        if error is None:
            return None
        self.denied = True
        return p.Denied(key, error, tuple(d.node for d in details), definition.type)

    def _relation(
        self, relation: Any, definition: GraphQLField, key: str, details: list[FieldDetails]
    ) -> p.FieldPlan:
        if isinstance(relation, Computed):
            named = get_named_type(definition.type)
            assert isinstance(named, GraphQLLeafType)
            return p.Derived(key, named, relation)
        target = _object_type(definition.type)
        if isinstance(relation, Page):
            keyset = relation.sort.on(sql.table_of(relation.target.MODEL))
            connection, obj = self._connection(
                target, details, definition, details[0].node, relation.name, keyset
            )
            where = self._converted(definition, details[0].node).get("where")
            return p.Paged(key, relation, connection, obj, where)
        if not isinstance(relation, (ToOne, Children, RowOf, RowsOf)):
            raise Unsupported(f"{relation!r} does not compile")
        obj = self.object(target, details)
        if isinstance(relation, RowOf) and any(
            not isinstance(part, (p.Column, p.Constant, p.Denied)) for part in obj.fields
        ):
            raise Unsupported("relations below a read-model object")
        return p.Related(key, relation, obj)

    # Connections ---------------------------------------------------------------------------

    def _connection(
        self,
        connection_type: GraphQLObjectType,
        details: list[FieldDetails],
        definition: GraphQLField,
        node: FieldNode,
        name: str,
        keyset: Any,
    ) -> tuple[p.ConnectionPlan, p.ObjectPlan | None]:
        """A connection's parts; `name` and `keyset` are its cursors' connection and order."""
        site = p.CursorSite(len(self.sites), name, keyset.name)
        self.sites.append(site)
        plan = p.ConnectionPlan(p.Param(f"first_{site.index}"), None, site)
        if self._raw(definition, node).get("after") is not None:
            plan.after = tuple(
                p.Param(f"after_{site.index}_{i}") for i in range(len(keyset.columns))
            )
        obj: p.ObjectPlan | None = None
        for key, parts in self.collect(connection_type, details).items():
            part = parts[0].node.name.value
            if part not in _CONNECTION_PARTS:
                raise Unsupported(f"{connection_type.name}.{part}")
            if part == "__typename":
                plan.parts.append((key, p.Constant(key, connection_type.name)))
            elif part == "totalCount":
                plan.parts.append((key, "totalCount"))
            elif part == "pageInfo":
                info_type = _object_type(connection_type.fields[part].type)
                plan.parts.append((key, ("pageInfo", self._parts(info_type, parts))))
            else:
                edge_type = _object_type(connection_type.fields[part].type)
                edge_parts = self._parts(edge_type, parts, _EDGE_PARTS)
                for edge_key, what in edge_parts:
                    if what != "node":
                        continue
                    if obj is not None:
                        raise Unsupported("nodes selected twice")
                    node_type = _object_type(edge_type.fields["node"].type)
                    obj = self.object(node_type, self.collect(edge_type, parts)[edge_key])
                plan.parts.append((key, ("edges", edge_parts)))
        self.bindings.connections.append(ConnectionSource(plan, definition, node, keyset))
        return plan, obj

    def _parts(
        self,
        graphql_type: GraphQLObjectType,
        details: list[FieldDetails],
        allowed: set[str] = _PAGE_INFO_PARTS,
    ) -> list[tuple[str, Any]]:
        found: list[tuple[str, Any]] = []
        for key, parts in self.collect(graphql_type, details).items():
            part = parts[0].node.name.value
            if part not in allowed:
                raise Unsupported(f"{graphql_type.name}.{part}")
            if part == "__typename":
                found.append((key, p.Constant(key, graphql_type.name)))
            else:
                found.append((key, part))
        return found


def _object_type(field_type: GraphQLOutputType) -> GraphQLObjectType:
    named = get_named_type(field_type)
    if not isinstance(named, GraphQLObjectType):
        raise Unsupported(f"{named} is abstract")
    return named
