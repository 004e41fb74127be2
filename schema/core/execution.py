"""Execution: the rows a response holds are counted, and the commonest fields take a shortcut.

`ExecutionContext` is strawberry's executor with one addition, a limit: it counts the rows a
response holds (the items of every list, connections' edges included, as often as they
appear) against the request's `max_rows`. The estimate made before execution counts a list
by its declared size; this catches a response whose lists turn out longer.

`ShortcutExecutionContext` adds cheaper paths through graphql-core for leaves and loaded
relations (setting `BIZGRAPH_EXECUTION_SHORTCUTS`, on by default). Most of a large response
is scalars of rows (an order's number, a line's quantity); graphql-core handles each like
any field — a resolve-info tuple, a path object, the resolver wrapper, an awaitable check,
non-null and leaf completion — about 20 µs a field inside a big response. For a scalar or
enum field that is a plain attribute (strawberry's basic field: no resolver, no extension,
no arguments) or a relation whose value `schema.core.prefetch` already loaded, this executor
reads and serialises the value directly. Anything unusual (a missing value, null in a
non-null field, a value the type cannot serialise) takes the normal path, which reports the
error as usual.

The shortcut only skips work, it never decides access: a field whose read guard
(`schema.core.permissions`) would refuse the viewer is never shortcut, so it takes the normal
path, where its guard answers FORBIDDEN. The guards stand on their own: with the shortcut
switched off every field takes graphql-core's path and the guards decide as before (the API
tests run both ways). Fields with strawberry field extensions always take the normal path,
and `schema.build` refuses a schema extension with a `resolve()` hook while the shortcut is
on, since that hook would not fire for shortcut fields.
"""

from dataclasses import dataclass
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
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
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.core.compiled.runner import (
    COMPILED_READS,
    CompiledOperation,
    Entry,
    bind,
    finished,
    rows_at_most,
    rows_in,
)
from schema.core.nodes import FromRow
from schema.core.permissions import guard_of, unguarded, viewer_of
from schema.core.relations import Relation, relation_of

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
    relation: Relation[Any] | None = None

    def read(self, source: Any) -> Any:
        if self.relation is None:
            return getattr(source, self.attribute, _MISSING)
        loaded = source.loaded if isinstance(source, FromRow) else None
        if loaded is None:
            return _MISSING
        return loaded.values.get(self.relation, _MISSING)


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
        relation = relation_of(field)
        non_null = isinstance(field.type, GraphQLNonNull)
        if (leaf is None and not is_object_type(named)) or definition.extensions:
            pass  # abstract types need resolving; extensions (permissions) must run: normal path
        elif relation is not None and not relation.paged:
            found = _Shortcut(definition.python_name, field.type, leaf, non_null, relation)
        elif getattr(unguarded(field.resolve), "_is_default", False) and definition.is_basic_field:
            found = _Shortcut(definition.python_name, field.type, leaf, non_null)
    _SHORTCUTS[key] = found
    return found


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor, counting the rows a response holds against `max_rows`.

    Past the maximum every further list fails at once, and the response is one
    LIMIT_EXCEEDED error instead of a partial result.
    """

    rows = 0
    rows_exceeded: GraphQLError | None = None
    document: DocumentNode | None = None

    @classmethod
    def build(cls, schema: GraphQLSchema, document: DocumentNode, *args: Any, **kwargs: Any) -> Any:
        # Kept for compiled reads: the document is what a repeated request is known by.
        built = super().build(schema, document, *args, **kwargs)
        if isinstance(built, ExecutionContext):
            built.document = document
        return built

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

    # Compiled reads (schema.core.compiled): root fields answered by one statement each.

    def execute_root_grouped_field_set(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        grouped_field_set: Any,
        serially: bool,
        position_context: Any,
    ) -> Any:
        reads = self.schema.extensions.get(COMPILED_READS)
        compiled: dict[str, tuple[Entry, dict[str, Any]]] = {}
        if reads is not None and not serially:
            for key, details in grouped_field_set.items():
                entry = reads.entry(self, key, details)
                values = bind(entry, self.variable_values) if entry is not None else None
                if entry is not None and values is not None:
                    compiled[key] = (entry, values)
        if len(compiled) == len(grouped_field_set) and hasattr(
            self.context_value, "compiled_operation"
        ):
            # Every root field compiled: the API may answer this document without the
            # executor when it comes again (api.compiled_requests).
            assert self.document is not None
            self.context_value.compiled_operation = CompiledOperation(
                self.document, self.operation, self.fragments
            )
        if not compiled:
            return super().execute_root_grouped_field_set(
                root_type, root_value, grouped_field_set, serially, position_context
            )
        general = {k: v for k, v in grouped_field_set.items() if k not in compiled}
        result = (
            super().execute_root_grouped_field_set(
                root_type, root_value, general, serially, position_context
            )
            if general
            else {}
        )
        runs = {
            key: self._compiled_field(
                root_type, root_value, key, grouped_field_set[key], entry, values, position_context
            )
            for key, (entry, values) in compiled.items()
        }
        return self._merge(grouped_field_set, result, runs)

    async def _merge(self, grouped_field_set: Any, general: Any, runs: dict[str, Any]) -> Any:
        keys = list(runs)
        if self.is_awaitable(general):
            done = await gather_with_cancel(general, *runs.values())
            general, answers = done[0], done[1:]
        else:
            answers = await gather_with_cancel(*runs.values())
        found = dict(zip(keys, answers, strict=True))
        # In the document's order, as graphql-core answers.
        return {
            key: found[key] if key in found else general[key]
            for key in grouped_field_set
            if key in found or key in general
        }

    async def _compiled_field(
        self,
        root_type: GraphQLObjectType,
        root_value: Any,
        key: str,
        details: Any,
        entry: Entry,
        values: dict[str, Any],
        position_context: Any,
    ) -> Any:
        path = Path(None, key, root_type.name)
        definition = root_type.fields[details[0].node.name.value]
        try:
            rows = await self.context_value.loaders.fetch(entry.statement, **values)
            if not rows:  # no such node (or hidden): the general path answers
                result = self.execute_field(root_type, root_value, details, path, position_context)
                return await result if self.is_awaitable(result) else result
            text, denied = finished(entry, rows[0]["data"], key)
            self._count_json(text)
            # Appended as they are: no other error can null a place inside this answer,
            # which is what `collected_errors.add` would check for each.
            self.collected_errors.errors.extend(denied)
            return orjson.Fragment(text)
        except Exception as error:
            self.handle_field_error(error, definition.type, details, path)
            return None

    def _count_json(self, text: str) -> None:
        """Count a compiled answer's rows: its objects bound them; counted exactly only when
        that bound passes the limit (parsing costs more than the bound)."""
        limit = getattr(self.context_value, "max_rows", None)
        if limit is None:
            return
        objects = rows_at_most(text)
        if self.rows + objects <= limit:
            self.rows += objects
        else:
            self.count_rows(rows_in(orjson.loads(text)))


class ShortcutExecutionContext(ExecutionContext):
    """`ExecutionContext` with shortcuts for attribute and loaded relation fields."""

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
            for response_name, details, shortcut in self._plan(parent_type, grouped_field_set):
                result: Any = _MISSING
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

    def _plan(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[Any]:
        """The fields of a selection with their shortcuts, once per execution.

        graphql-core memoises a selection's grouped field set, so every object of a list
        shares one; the plan is kept with the set itself, so its id cannot be reused. A field
        its guard refuses to this viewer gets no shortcut: the normal path lets the guard
        answer.
        """
        plans = self.__dict__.setdefault("_plans", {})
        found = plans.get((parent_type, id(grouped_field_set)))
        if found is not None:
            return found[1]
        plan = []
        for response_name, details in grouped_field_set.items():
            node = details[0].node
            name = node.name.value
            shortcut = None if node.directives else _shortcut(parent_type, name)
            if shortcut is not None and not self._allowed(parent_type.fields[name]):
                shortcut = None
            plan.append((response_name, details, shortcut))
        plans[(parent_type, id(grouped_field_set))] = (grouped_field_set, plan)
        return plan

    def _allowed(self, field: GraphQLField) -> bool:
        """Whether the field's read guard lets this viewer read it (shortcut fields take no
        arguments)."""
        guard = guard_of(field)
        return guard is None or guard.denial(viewer_of(self.context_value), None) is None

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


def _coerce(leaf: GraphQLLeafType, value: Any) -> Any:
    try:
        coerced = leaf.coerce_output_value(value)
    except Exception:  # the normal path reports it
        return _MISSING
    return _MISSING if coerced is None or coerced is Undefined else coerced


async def _ready(value: Any) -> Any:
    return value


def install_prefetched_resolvers(schema: GraphQLSchema) -> None:
    """Let relation fields read loaded values without strawberry's resolver wrapper.

    The wrapper builds an `Info`, converts arguments and runs the extension chain for every
    call, which is most of a relation field's cost when its value is already loaded. Fields
    without arguments whose value `schema.core.prefetch` loaded return it directly; otherwise
    the field's own resolver runs as before. Installed before the read guards, which wrap it.
    """
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            relation = relation_of(field)
            if relation is None or field.args or relation.paged:
                continue
            if not field.extensions[DEFINITION].extensions:  # field extensions must run
                field.resolve = _loaded_or(relation, field.resolve)


def _loaded_or(relation: Relation[Any], resolve: Any) -> Any:
    def resolve_loaded(source: Any, info: Any, **args: Any) -> Any:
        loaded = source.loaded if isinstance(source, FromRow) else None
        if loaded is not None and relation in loaded.values:
            return loaded.values[relation]
        return resolve(source, info, **args)

    return resolve_loaded
