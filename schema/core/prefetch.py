"""Loading a query ahead of its resolvers, one statement per relation and level.

Given the objects of one level (the customers of a page, the orders of all those customers)
and the query's field nodes for that level, `prefetch` finds the selected relation fields,
loads each for all objects at once through its DataLoader, stores the values on the objects
and descends into the related objects with the sub-selection. Relations of one level load
concurrently, each on its own connection. Fragments, aliases and @skip/@include are honoured;
a relation asked for with different arguments (two aliases with different `first`) is loaded
once per distinct set of arguments.
"""

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    get_named_type,
    is_object_type,
    value_from_ast,
)
from strawberry.types import Info

from schema.core.loaders import Loaders
from schema.core.nodes import FromRow
from schema.core.permissions import read_denial, viewer_of
from schema.core.relations import Relation, relation_of

Selection = dict[str, list[FieldNode]]


def _included(node: Any, variables: dict[str, Any]) -> bool:
    for directive in node.directives or ():
        name = directive.name.value
        if name not in ("skip", "include"):
            continue
        condition = next((a.value for a in directive.arguments if a.name.value == "if"), None)
        value = value_from_ast(condition, GraphQLBoolean, variables)
        if (name == "skip" and value is True) or (name == "include" and value is not True):
            return False
    return True


def _applies(condition: Any, object_type: GraphQLObjectType, raw: GraphQLResolveInfo) -> bool:
    if condition is None or condition.name.value == object_type.name:
        return True
    named = raw.schema.get_type(condition.name.value)
    return (
        named is not None
        and not is_object_type(named)
        and raw.schema.is_sub_type(
            named,  # type: ignore[arg-type]
            object_type,
        )
    )


def _variables(raw: GraphQLResolveInfo) -> dict[str, Any]:
    # strawberry hands resolvers the plain dict of coerced variable values.
    return raw.variable_values  # type: ignore[return-value]


def collect(
    raw: GraphQLResolveInfo, object_type: GraphQLObjectType, field_nodes: Sequence[FieldNode]
) -> Selection:
    """The sub-fields selected on `object_type` by `field_nodes`, grouped by field name.

    As in graphql-core's own field collection, a fragment contributes once however often it
    is spread: its fields are the same each time, and walking every spread would be
    exponential in a document whose fragments each spread the next one twice.
    """
    selected: Selection = defaultdict(list)
    variables = _variables(raw)
    visited: set[str] = set()

    def visit(selection_set: SelectionSetNode) -> None:
        for selection in selection_set.selections:
            if not _included(selection, variables):
                continue
            if isinstance(selection, FieldNode):
                selected[selection.name.value].append(selection)
            elif isinstance(selection, InlineFragmentNode):
                if _applies(selection.type_condition, object_type, raw):
                    visit(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                if selection.name.value in visited:
                    continue
                visited.add(selection.name.value)
                fragment = raw.fragments.get(selection.name.value)
                if fragment is not None and _applies(fragment.type_condition, object_type, raw):
                    visit(fragment.selection_set)

    for node in field_nodes:
        if node.selection_set is not None:
            visit(node.selection_set)
    return selected


def _arguments(field: GraphQLField, node: FieldNode, variables: dict[str, Any]) -> dict[str, Any]:
    given = {argument.name.value: argument.value for argument in node.arguments or ()}
    values: dict[str, Any] = {}
    for name, definition in field.args.items():
        if name in given:
            value = value_from_ast(given[name], definition.type, variables)
            if value is Undefined:
                raise GraphQLError(f"invalid `{name}`")
        else:
            value = definition.default_value
        values[name] = None if value is Undefined else value
    return values


def _object_type(field: GraphQLField) -> GraphQLObjectType:
    named = get_named_type(field.type)
    assert is_object_type(named)
    return named


def _descend(
    raw: GraphQLResolveInfo, object_type: GraphQLObjectType, nodes: list[FieldNode], path: str
) -> tuple[GraphQLObjectType, list[FieldNode]]:
    for name in path.split("."):
        nodes = collect(raw, object_type, nodes).get(name, [])
        object_type = _object_type(object_type.fields[name])
    return object_type, nodes


async def prefetch(
    loaders: Loaders,
    raw: GraphQLResolveInfo,
    objects: Sequence[FromRow],
    object_type: GraphQLObjectType,
    field_nodes: Sequence[FieldNode],
    only: Callable[[Relation[Any]], bool] | None = None,
) -> None:
    """Load the relations `field_nodes` select on `objects` (all of `object_type`)."""
    if not objects:
        return
    plans: dict[Any, tuple[Relation[Any], Any, GraphQLField, list[FieldNode]]] = {}
    viewer = viewer_of(raw.context)
    for name, nodes in collect(raw, object_type, field_nodes).items():
        field = object_type.fields.get(name)
        relation = relation_of(field) if field is not None else None
        if field is None or relation is None or (only is not None and not only(relation)):
            continue
        for node in nodes:
            try:
                args = _arguments(field, node, _variables(raw))
            except GraphQLError:
                continue  # the field's resolver reports the bad argument
            if read_denial(field, viewer, args) is not None:
                continue  # the field's guard answers FORBIDDEN; nothing to load
            try:
                prepared = relation.prepare(args)
            except GraphQLError:
                continue  # the field's resolver reports the bad argument
            key = relation.store_key(args)
            if key in plans:
                plans[key][3].append(node)
            else:
                plans[key] = (relation, prepared, field, [node])
    work: list[Coroutine[Any, Any, None]] = [
        _prefetch_relation(loaders, raw, objects, key, *plan) for key, plan in plans.items()
    ]
    if len(work) == 1:
        await work[0]
    elif work:
        await asyncio.gather(*work)


async def _prefetch_relation(
    loaders: Loaders,
    raw: GraphQLResolveInfo,
    objects: Sequence[FromRow],
    key: Any,
    relation: Relation[Any],
    prepared: Any,
    field: GraphQLField,
    nodes: list[FieldNode],
) -> None:
    values = await relation.load(loaders, objects, prepared, whole_level=True)
    for obj, value in zip(objects, values, strict=True):
        obj.remember(key, value)
    seen: set[int] = set()
    related = []
    for value in values:
        for node in relation.nodes(value):
            if id(node) not in seen:
                seen.add(id(node))
                related.append(node)
    if not related:
        return
    target = _object_type(field)
    if relation.paged:
        target, nodes = _descend(raw, target, nodes, "edges.node")
    await prefetch(loaders, raw, related, target, nodes)


async def prefetch_for(info: Info, objects: Sequence[Any], path: str = "") -> None:
    """Prefetch below a root field for its objects (found under `path`, e.g. "edges.node")."""
    raw = info._raw_info
    nodes = list(raw.field_nodes)
    if path:
        field_type = _object_type(raw.parent_type.fields[raw.field_name])
        _, nodes = _descend(raw, field_type, nodes, path)
    by_type: dict[type, list[Any]] = defaultdict(list)
    for obj in objects:
        if obj is not None:
            by_type[type(obj)].append(obj)
    for kind, group in by_type.items():
        object_type = raw.schema.get_type(kind.__strawberry_definition__.name)  # type: ignore[attr-defined]
        assert isinstance(object_type, GraphQLObjectType)
        await prefetch(info.context.loaders, raw, group, object_type, nodes)


async def prefetch_node(
    info: Info, kind: type, key: int, load: Callable[[], Awaitable[Any]]
) -> Any:
    """A node by its key (`load` loads it), and everything the query selects below it.

    Relations keyed by the node's own id (a customer's orders, its open balance) do not wait
    for its row: they load alongside it, which saves a node query one level of round trips.
    Relations needing the row (its account manager) follow it. If the node turns out not to
    exist or not to be visible, what was loaded ahead is dropped.
    """
    raw = info._raw_info
    loaders = info.context.loaders
    object_type = raw.schema.get_type(kind.__strawberry_definition__.name)  # type: ignore[attr-defined]
    assert isinstance(object_type, GraphQLObjectType)
    nodes = list(raw.field_nodes)
    stub: Any = object.__new__(kind)
    stub.__dict__["id"] = key
    ahead = asyncio.ensure_future(
        prefetch(loaders, raw, [stub], object_type, nodes, only=_keyed_by_id)
    )
    try:
        node = await load()
    except BaseException:
        await asyncio.gather(ahead, return_exceptions=True)
        raise
    await ahead
    if node is not None:
        if stub.loaded is not None:
            for stored, value in stub.loaded.values.items():
                node.remember(stored, value)
        await prefetch(loaders, raw, [node], object_type, nodes, only=_needs_row)
    return node


def _keyed_by_id(relation: Relation[Any]) -> bool:
    return relation.keyed_by_id


def _needs_row(relation: Relation[Any]) -> bool:
    return not relation.keyed_by_id
