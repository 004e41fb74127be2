"""Running compiled reads: plans cached per shape, request values bound, the JSON spliced in.

A plan is cached per operation, root field, set of roles, record-rule restriction and the
*shape* of the request's variables: a variable used only as `first`, `after` or a node's
`id` is a parameter of the statement (only whether `after` is given, and which type an ID
names, change the plan); any other variable's value is part of the key. So the Customer 360
document compiles once per role set and serves every customer, and asyncpg keeps each
statement prepared on each connection it ran on.

The statement returns the root field's JSON text, which goes into the response as it is
(`orjson.Fragment`): no parse, no graphql-core completion, no object per row. Three things
touch it in Python, each only when present: cursors (sealed where the statement marked
them), fields the viewer may not read (their errors need the paths of every place they are
nulled, so the JSON is parsed and walked along them), and the row limit (an upper bound of
the rows, its objects, is counted without parsing; only past the limit are rows counted
exactly).
"""

import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
)
from graphql.error import located_error
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import get_argument_values
from graphql.language import Visitor, visit
from graphql.language.visitor import SKIP
from strawberry.relay import GlobalID

from domain.core.access import Viewer
from domain.core.reads import Compiled
from schema.core import sql
from schema.core.compiled import plans as p
from schema.core.compiled.planner import Bindings, ConnectionSource, Planner, Unsupported
from schema.core.ids import parse_key
from schema.core.pagination import encode_cursor, page_request
from schema.core.permissions import viewer_of
from schema.core.sql.compiled_reads import CURSOR_MARK, TooWide, render

# The schema extension holding a schema's `CompiledReads` (set when compiled reads are on).
COMPILED_READS = "bizgraph.compiled_reads"
MAX_PLANS = 512
# A cursor marker as PostgreSQL writes it inside a JSON string: \u0001<site>:<keys as JSON>.
_MARKER = re.compile(r'"\\u000[1](\d+):((?:[^"\\]|\\.)*)"')
assert CURSOR_MARK == "\x01"


@dataclass(frozen=True)
class Entry:
    """A cached plan: its statement, the request values it binds, what touches its JSON."""

    operation: OperationDefinitionNode
    plan: p.RootPlan
    statement: Compiled
    bindings: Bindings
    sites: tuple[p.CursorSite, ...]
    denied: bool


@dataclass(frozen=True)
class CompiledOperation:
    """A query whose every root field was answered by its compiled statement: the parsed
    document (the parser cache hands the same object to every request repeating its text),
    the operation run and its fragments as the executor saw them."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, Any]


_NOT_COMPILED = object()


class _VariableUses(Visitor):
    """Where each variable is used: directly as the value of a `first`, `after` or `id`
    argument, or anywhere else (inside a list or an input object, in a directive, …)."""

    def __init__(self) -> None:
        super().__init__()
        self.occurrences: dict[str, int] = {}
        self.direct: dict[str, list[str]] = {}

    def enter_variable_definition(self, *_: Any) -> Any:
        return SKIP  # the declaration is no use

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        name = node.name.value
        self.occurrences[name] = self.occurrences.get(name, 0) + 1

    def enter_argument(self, node: Any, *_: Any) -> None:
        if isinstance(node.value, VariableNode):
            argument = node.name.value
            position = argument if argument in ("first", "after", "id") else "other"
            self.direct.setdefault(node.value.name.value, []).append(position)

    def uses(self) -> dict[str, set[str]]:
        return {
            name: set(self.direct.get(name, []))
            if len(self.direct.get(name, [])) == count
            else {"other"}
            for name, count in self.occurrences.items()
        }


def _variable_uses(
    operation: OperationDefinitionNode, fragments: dict[str, Any]
) -> dict[str, set[str]]:
    finder = _VariableUses()
    visit(operation, finder)
    for fragment in fragments.values():
        visit(fragment.definition, finder)
    return finder.uses()


def _id_type(value: Any) -> str:
    try:
        return GlobalID.from_id(value).type_name
    except Exception:  # the general path reports a bad ID
        return "?"


class CompiledReads:
    """Compiled root fields of one schema (see the module docstring)."""

    def __init__(self, schema: GraphQLSchema, max_plans: int = MAX_PLANS) -> None:
        self.schema = schema
        self.max_plans = max_plans
        self._plans: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._uses: OrderedDict[int, tuple[OperationDefinitionNode, dict[str, set[str]]]] = (
            OrderedDict()
        )

    def _shape(
        self, operation: OperationDefinitionNode, fragments: dict[str, Any], variables: Any
    ) -> tuple[Any, ...]:
        """What of the request's variables a plan depends on (`variables`: graphql-core's
        VariableValues of the request)."""
        found = self._uses.get(id(operation))
        if found is None or found[0] is not operation:
            found = (operation, _variable_uses(operation, fragments))
            self._uses[id(operation)] = found
            if len(self._uses) > self.max_plans:
                self._uses.popitem(last=False)
        shape: list[tuple[str, Any]] = []
        for name, value in sorted(variables.coerced.items()):
            uses = found[1].get(name, {"other"})
            if uses <= {"first"}:
                continue
            if uses <= {"after"}:
                shape.append((name, value is None))
            elif uses <= {"id"}:
                shape.append((name, _id_type(value)))
            else:
                shape.append((name, repr(value)))
        return tuple(shape)

    def _key(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, Any],
        variables: Any,
        key: str,
        viewer: Viewer,
    ) -> tuple[Any, ...]:
        shape = self._shape(operation, fragments, variables)
        return (id(operation), key, viewer.roles, viewer.rules, shape)

    def entry(self, execution: Any, key: str, details: list[FieldDetails]) -> Entry | None:
        """The cached plan of a root field for this request, planned now if new; None when the
        field takes the general path."""
        viewer = viewer_of(execution.context_value)
        operation = execution.operation
        variables = execution.variable_values
        cache_key = self._key(operation, execution.fragments, variables, key, viewer)
        found = self._plans.get(cache_key)
        if found is not None and (found is _NOT_COMPILED or found.operation is operation):
            self._plans.move_to_end(cache_key)
            return None if found is _NOT_COMPILED else found
        planned = self._plan(execution, key, details, viewer)
        self._plans[cache_key] = planned if planned is not None else _NOT_COMPILED
        if len(self._plans) > self.max_plans:
            self._plans.popitem(last=False)
        return planned

    def planned(
        self,
        operation: OperationDefinitionNode,
        fragments: dict[str, Any],
        variables: Any,
        key: str,
        viewer: Viewer,
    ) -> Entry | None:
        """The plan already made for a root field of a request like this one, if any: never
        plans (planning needs the executor)."""
        found = self._plans.get(self._key(operation, fragments, variables, key, viewer))
        if isinstance(found, Entry) and found.operation is operation:
            return found
        return None

    def _plan(
        self, execution: Any, key: str, details: list[FieldDetails], viewer: Viewer
    ) -> Entry | None:
        root_type = self.schema.query_type
        assert root_type is not None
        definition = root_type.fields.get(details[0].node.name.value)
        if definition is None:
            return None

        def collect(graphql_type: Any, parts: list[FieldDetails]) -> Any:
            return execution.collect_subfields(graphql_type, parts).grouped_field_set

        planner = Planner(self.schema, viewer, execution.variable_values, collect)
        try:
            plan = planner.root(definition, details)
            statement = sql.compiled(render(plan, viewer))
        except (Unsupported, TooWide):
            return None
        return Entry(
            execution.operation,
            plan,
            statement,
            planner.bindings,
            tuple(planner.sites),
            planner.denied,
        )


def bind(entry: Entry, variables: Any) -> dict[str, Any] | None:
    # `variables`: graphql-core's VariableValues of the request.
    """The statement's request values; None when one is invalid (the general path reports it)."""
    values: dict[str, Any] = {}
    written = entry.bindings.written
    for index, source in enumerate(entry.bindings.connections):
        if index in written:
            page = written[index]
        else:
            page = _page_values(source, variables)
            if not _takes_variables(source.node):
                # `first` and `after` written in the document: the same for every request.
                written[index] = page
        if page is None:
            return None
        values.update(page)
    if entry.bindings.key is not None:
        param, definition, node, type_name = entry.bindings.key
        raw = get_argument_values(definition, node, variables).get("id")
        try:
            global_id = GlobalID.from_id(str(raw))
        except Exception:
            return None
        node_key = parse_key(global_id.node_id)
        if global_id.type_name != type_name or node_key is None:
            return None
        values[param.name] = node_key
    return values


def _takes_variables(node: FieldNode) -> bool:
    return any(
        isinstance(argument.value, VariableNode)
        for argument in node.arguments or ()
        if argument.name.value in ("first", "after")
    )


def _page_values(source: ConnectionSource, variables: Any) -> dict[str, Any] | None:
    """A connection's page size and cursor keys as statement values; None when invalid."""
    arguments = get_argument_values(source.definition, source.node, variables)
    cursor = source.plan.cursor
    try:
        request = page_request(
            cursor.connection, cursor.ordering, arguments.get("first"), arguments.get("after")
        )
        after = source.ordering.after_values(request.after) if request.after else None
    except GraphQLError:
        return None
    values = {
        source.plan.first.name: request.first,
        source.plan.first.name + "_limit": request.first + 1,
    }
    if source.plan.after is not None:
        if after is None:
            return None
        for i, param in enumerate(source.plan.after):
            values[param.name] = after[f"after_{i}"]
    return values


def seal_cursors(text: str, sites: tuple[p.CursorSite, ...]) -> str:
    """The JSON with each cursor marker replaced by the cursor the general path would seal."""

    def sealed(match: re.Match[str]) -> str:
        site = sites[int(match.group(1))]
        keys = json.loads(json.loads('"' + match.group(2) + '"'))
        return json.dumps(encode_cursor(site.connection, site.ordering, tuple(keys)))

    return _MARKER.sub(sealed, text)


Place = tuple[str | int, ...]


def finished(entry: Entry, text: str, root: str) -> tuple[str, list[GraphQLError]]:
    """A root field's JSON as clients get it, with its errors: cursors sealed, and a FORBIDDEN
    error at every place a denied field was nulled."""
    if entry.sites:
        text = seal_cursors(text, entry.sites)
    if not entry.denied:
        return text, []
    places = denied_places(entry.plan, orjson.loads(text), root)
    return text, [located(denied, place) for denied, place in places]


def rows_at_most(text: str) -> int:
    """An upper bound of the rows a compiled answer holds: its objects (every row is one;
    counting braces costs far less than parsing)."""
    return text.count("{")


def _object_places(plan: p.ObjectPlan, data: Any, path: Place) -> Iterator[tuple[p.Denied, Place]]:
    if not isinstance(data, dict):
        return
    for field in plan.fields:
        if isinstance(field, p.Denied):
            yield field, (*path, field.key)
        elif isinstance(field, p.Related) and _has_denied(field.object):
            value = data.get(field.key)
            here = (*path, field.key)
            if isinstance(value, list):
                for index, item in enumerate(value):
                    yield from _object_places(field.object, item, (*here, index))
            else:
                yield from _object_places(field.object, value, here)
        elif isinstance(field, p.Paged) and field.object is not None and _has_denied(field.object):
            yield from _connection_places(
                field.connection, field.object, data.get(field.key), (*path, field.key)
            )


def _connection_places(
    plan: p.ConnectionPlan, node: p.ObjectPlan, data: Any, path: Place
) -> Iterator[tuple[p.Denied, Place]]:
    if not isinstance(data, dict):
        return
    for key, part in plan.parts:
        if not (isinstance(part, tuple) and part[0] == "edges"):
            continue
        for index, edge in enumerate(data.get(key) or []):
            for edge_key, what in part[1]:
                if what == "node":
                    yield from _object_places(
                        node, edge.get(edge_key), (*path, key, index, edge_key)
                    )


def _has_denied(plan: p.ObjectPlan) -> bool:
    """Whether a denied field is in the object's selection, at any depth (asked once per
    plan: the answer is kept on it)."""
    found = plan.__dict__.get("_has_denied")
    if found is None:
        found = any(
            isinstance(field, p.Denied)
            or (isinstance(field, p.Related) and _has_denied(field.object))
            or (
                isinstance(field, p.Paged)
                and field.object is not None
                and _has_denied(field.object)
            )
            for field in plan.fields
        )
        plan.__dict__["_has_denied"] = found
    return found


def denied_places(plan: p.RootPlan, data: Any, root: str) -> Iterator[tuple[p.Denied, Place]]:
    """Every place a denied field was nulled (as a response path), in the order graphql-core
    reports them: depth first, in selection order."""
    if isinstance(plan, p.RootNode):
        yield from _object_places(plan.object, data, (root,))
    elif plan.object is not None:
        yield from _connection_places(plan.connection, plan.object, data, (root,))


def located(denied: p.Denied, place: Place) -> GraphQLError:
    """The guard's error at one place. Its locations are worked out once per denied field,
    not once per place."""
    template = denied.__dict__.get("_located")
    if template is None:
        template = located_error(denied.error, list(denied.nodes))
        denied.__dict__["_located"] = template
    error = GraphQLError(template.message, path=list(place), extensions=template.extensions)
    error.nodes, error.source = template.nodes, template.source
    error.positions, error.locations = template.positions, template.locations
    return error


def rows_in(data: Any) -> int:
    """The rows a response part holds: the items of all its lists, as often as they appear."""
    if isinstance(data, list):
        return len(data) + sum(rows_in(item) for item in data)
    if isinstance(data, dict):
        return sum(rows_in(value) for value in data.values())
    return 0
