"""Cheaper paths through graphql-core for the commonest fields: leaves and loaded relations.

Most of a large response is scalars of rows (an order's number, a line's quantity).
graphql-core handles each like any field: a resolve-info tuple, a path object, the resolver
wrapper, an awaitable check, non-null and leaf completion; inside a big response that came to
about 20 µs a field. For a scalar or enum field that is a plain attribute (strawberry's basic
field: no resolver, no extension, no arguments) or a value `schema.prefetch` already stored,
this executor reads and serialises the value directly. Anything unusual (a missing value,
null in a non-null field, a value the type cannot serialise) takes the normal path, which
reports the error as usual. Relation fields whose objects were prefetched skip strawberry's
resolver wrapper (`install_prefetched_resolvers`).

Every field and object of a response passes through this executor, shortcut or not, which
makes it the one place read permissions are applied (`schema.permissions`): a denied field
— its type, a fact it exposes, or a fact its arguments sort or filter by — is answered with
null and FORBIDDEN before its resolver could run.
"""

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from domain.core.access import Viewer
from schema.permissions import FORBIDDEN, Denials, denials, may_reveal
from schema.relations import STORE, Relation

DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


_MISSING = object()


class _Unusual(Exception):
    """A value the shortcut does not handle; the field takes graphql-core's normal path."""


@dataclass(frozen=True)
class _Shortcut:
    """How to read a field without calling a resolver: an attribute or a prefetched value."""

    attribute: str
    type: GraphQLOutputType
    leaf: GraphQLLeafType | None
    non_null: bool
    relation: Relation | None = None

    def read(self, source: Any) -> Any:
        if self.relation is None:
            return getattr(source, self.attribute, _MISSING)
        stored = source.__dict__.get(STORE)
        if stored is None or self.relation.name not in stored:
            return _MISSING
        value = stored[self.relation.name]
        return self.relation.pick(value) if self.relation.pick is not None else value


# Keyed by the type object itself (identity), so schemas built side by side never mix.
_SHORTCUTS: dict[tuple[GraphQLObjectType, str], _Shortcut | None] = {}


def _shortcut(parent_type: GraphQLObjectType, field_name: str) -> _Shortcut | None:
    key = (parent_type, field_name)
    if key in _SHORTCUTS:
        return _SHORTCUTS[key]
    found = None
    field = parent_type.fields.get(field_name)
    definition = field.extensions.get(DEFINITION) if field is not None else None
    if field is not None and definition is not None and not field.args:
        named = get_named_type(field.type)
        leaf = named if is_leaf_type(named) else None
        owner = parent_type.extensions.get(DEFINITION)
        relation = getattr(getattr(owner, "origin", None), "RELATIONS", {}).get(field_name)
        non_null = isinstance(field.type, GraphQLNonNull)
        if (leaf is None and not is_object_type(named)) or definition.extensions:
            pass  # abstract types need resolving; extensions (permissions) must run: normal path
        elif relation is not None and not relation.paged:
            found = _Shortcut(definition.python_name, field.type, leaf, non_null, relation)
        elif getattr(field.resolve, "_is_default", False) and definition.is_basic_field:
            found = _Shortcut(definition.python_name, field.type, leaf, non_null)
    _SHORTCUTS[key] = found
    return found


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor with shortcuts for attribute and prefetched fields.

    It also counts the rows a response holds (the items of every list, connections' edges
    included, as often as they appear) against the request's `max_rows`: the cost estimate
    made before execution counts a list by its declared size, and this catches a response
    whose lists turn out longer. Past the maximum every further list fails at once, and the
    response is one LIMIT_EXCEEDED error instead of a partial result.
    """

    rows = 0
    rows_exceeded: GraphQLError | None = None

    def count_rows(self, items: int) -> None:
        limit = getattr(self.context_value, "max_rows", None)
        if limit is None:
            return
        self.rows += items
        if self.rows > limit:
            if self.rows_exceeded is None:
                self.rows_exceeded = GraphQLError(
                    f"the response would hold more than {limit} rows; ask for smaller pages "
                    "and follow the cursors",
                    extensions={"code": "LIMIT_EXCEEDED", "limit": "nodes", "maximum": limit},
                )
            raise self.rows_exceeded

    def complete_list_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if isinstance(result, list):
            self.count_rows(len(result))
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def build_response(self, data: Any) -> Any:
        response = super().build_response(data)
        if self.rows_exceeded is not None:
            return ExecutionResult(None, [self.rows_exceeded])
        return response

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, details, shortcut, denial in self._plan(
                parent_type, grouped_field_set
            ):
                result: Any = _MISSING
                if denial is not None:
                    # Null and FORBIDDEN on this path; the resolver never runs.
                    message, return_type, extensions = denial
                    error = GraphQLError(message, extensions=extensions)
                    field_path = Path(path, response_name, parent_type.name)
                    self.handle_field_error(error, return_type, details, field_path)
                    results[response_name] = None
                    continue
                if shortcut is not None:
                    value = shortcut.read(source_value)
                    if value is None and not shortcut.non_null:
                        result = None
                    elif value is None or value is _MISSING:
                        pass
                    elif shortcut.leaf is not None:
                        result = _coerce(shortcut.leaf, value)
                        if result is not _MISSING:
                            results[response_name] = result  # a scalar: never awaitable
                            continue
                    else:
                        result = self._complete_shortcut(
                            shortcut, details, Path(path, response_name, parent_type.name), value
                        )
                if result is _MISSING:
                    result = self.execute_field(
                        parent_type,
                        source_value,
                        details,
                        Path(path, response_name, parent_type.name),
                        position_context,
                    )
                    if result is Undefined:
                        continue
                results[response_name] = result
                if result is not None and is_awaitable(result):
                    awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

    @cached_property
    def denials(self) -> Denials:
        """What this request's viewer may not read (no viewer: no roles, nothing readable)."""
        viewer = getattr(self.context_value, "viewer", None)
        return denials(viewer if viewer is not None else Viewer(employee_id=None, email=""))

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Any]:
        """The fields of a selection with their shortcuts and denials, once per execution.

        graphql-core memoises a selection's grouped field set, so every object of a list
        shares one; the plan is kept with the set itself, so its id cannot be reused.
        """
        plans = self.__dict__.setdefault("_plans", {})
        found = plans.get((parent_type, id(grouped_field_set)))
        if found is not None:
            return found[1]
        plan = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            name = node.name.value
            field = parent_type.fields.get(name)
            denial = None if field is None else self._denial(parent_type, name, field, node)
            shortcut = None if node.directives else _shortcut(parent_type, name)
            plan.append((response_name, details, shortcut, denial))
        plans[(parent_type, id(grouped_field_set))] = (grouped_field_set, plan)
        return plan

    def _denial(
        self, parent_type: GraphQLObjectType, name: str, field: GraphQLField, node: FieldNode
    ) -> tuple[str, GraphQLOutputType, dict[str, Any]] | None:
        """Why the viewer may not have this field: its type, its fact or its arguments."""
        message = self.denials.field_denial(parent_type, name, field)
        if message is not None:
            return message, field.type, {"code": FORBIDDEN}
        if not self.denials.inputs or not any(may_reveal(a.type) for a in field.args.values()):
            return None
        try:
            # Variables are known by now: a sort key passed in one is caught too.
            arguments = get_argument_values(field, node, self.variable_values)
        except GraphQLError:
            return None  # invalid arguments: the normal path reports them
        found = self.denials.argument_denial(field, arguments)
        if found is None:
            return None
        message, argument = found
        return message, field.type, {"code": FORBIDDEN, "argument": argument}

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # Objects reached through an abstract type (`node(id:)`, `nodes(ids:)`) are only
        # known here; for the others this repeats the field's own check at no cost.
        _refuse_denied_type(self.denials, return_type)
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _complete_shortcut(self, shortcut: _Shortcut, details: Any, path: Path, value: Any) -> Any:
        """A read object or list completed like graphql-core would, errors located the same."""
        try:
            completed = self._complete(shortcut.type, details, path, value)
        except _Unusual:
            return _MISSING
        except Exception as raw_error:
            self.handle_field_error(raw_error, shortcut.type, details, path)
            return None
        if self.is_awaitable(completed):
            return self._settle(completed, shortcut.type, details, path)
        return completed

    def _complete(self, return_type: Any, details: Any, path: Path, value: Any) -> Any:
        if isinstance(return_type, GraphQLNonNull):
            if value is None:
                raise _Unusual
            return self._complete(return_type.of_type, details, path, value)
        if value is None:
            return None
        if isinstance(return_type, GraphQLList):
            return self._complete_list(return_type.of_type, details, path, value)
        if is_leaf_type(return_type):
            coerced = _coerce(return_type, value)
            if coerced is _MISSING:
                raise _Unusual
            return coerced
        if return_type.is_type_of is not None and not return_type.is_type_of(value, None):
            raise _Unusual
        _refuse_denied_type(self.denials, return_type)
        collected = self.collect_subfields(return_type, details)
        if collected.new_defer_usages:
            raise _Unusual
        return self.execute_fields(return_type, value, path, collected.grouped_field_set, None)

    def _complete_list(self, item_type: Any, details: Any, path: Path, values: Any) -> Any:
        if not isinstance(values, list):
            raise _Unusual
        if isinstance(item_type, GraphQLNonNull) and any(item is None for item in values):
            raise _Unusual
        self.count_rows(len(values))
        completed: list[Any] = []
        pending = False
        try:
            for index, item in enumerate(values):
                item_path = path.add_key(index, None)
                try:
                    done = self._complete(item_type, details, item_path, item)
                except _Unusual:
                    raise
                except Exception as raw_error:
                    # Like graphql-core: a nullable item becomes null, a non-null one re-raises.
                    self.handle_field_error(raw_error, item_type, details, item_path)
                    done = None
                if self.is_awaitable(done):
                    pending = True
                    done = self._settle(done, item_type, details, item_path)
                completed.append(done)
        except BaseException:
            for done in completed:
                close = getattr(done, "close", None)
                if close is not None:
                    close()  # a coroutine already made for an earlier item: never awaited
            raise
        if not pending:
            return completed
        return self._gather_items(completed)

    async def _gather_items(self, items: list[Any]) -> list[Any]:
        return list(
            await gather_with_cancel(*(i if self.is_awaitable(i) else _ready(i) for i in items))
        )

    async def _settle(self, completed: Any, return_type: Any, details: Any, path: Path) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None

    async def _gather_fields(
        self, results: dict[str, Any], awaitable_fields: list[str]
    ) -> dict[str, Any]:
        if len(awaitable_fields) == 1:
            field = awaitable_fields[0]
            results[field] = await results[field]
        else:
            awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
            results.update(zip(awaitable_fields, awaited, strict=True))
        return results


def _refuse_denied_type(found: Denials, object_type: GraphQLObjectType) -> None:
    denial = found.type_denial(object_type)
    if denial is not None:
        raise GraphQLError(denial, extensions={"code": FORBIDDEN})


def _coerce(leaf: GraphQLLeafType, value: Any) -> Any:
    try:
        coerced = leaf.coerce_output_value(value)
    except Exception:  # the normal path reports it
        return _MISSING
    return _MISSING if coerced is None or coerced is Undefined else coerced


async def _ready(value: Any) -> Any:
    return value


def install_prefetched_resolvers(schema: GraphQLSchema) -> None:
    """Let relation fields read prefetched values without strawberry's resolver wrapper.

    The wrapper builds an `Info`, converts arguments and runs the extension chain for every
    call, which is most of a relation field's cost when its value is already loaded. Fields
    without arguments whose value `schema.prefetch` stored return it directly; otherwise the
    field's own resolver runs as before.
    """
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        definition = graphql_type.extensions.get(DEFINITION)
        relations = getattr(getattr(definition, "origin", None), "RELATIONS", None)
        if not relations:
            continue
        for name, relation in relations.items():
            field = graphql_type.fields.get(name)
            if field is None or field.args or relation.paged:
                continue
            if not field.extensions[DEFINITION].extensions:  # permission checks must run
                field.resolve = _prefetched(relation, field.resolve)


def _prefetched(relation: Relation, resolve: Any) -> Any:
    name, pick = relation.name, relation.pick

    def resolve_prefetched(source: Any, info: Any, **args: Any) -> Any:
        stored = source.__dict__.get(STORE)
        if stored is not None and name in stored:
            value = stored[name]
            return pick(value) if pick is not None else value
        return resolve(source, info, **args)

    return resolve_prefetched
