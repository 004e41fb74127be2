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
"""

from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    is_leaf_type,
)
from graphql.pyutils import Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.relations import STORE, Relation

DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF


_MISSING = object()


@dataclass(frozen=True)
class _Leaf:
    """How to read a scalar field without a resolver: an attribute or a prefetched value."""

    attribute: str
    type: GraphQLLeafType
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


_LEAVES: dict[tuple[str, str], _Leaf | None] = {}


def _leaf(parent_type: GraphQLObjectType, field_name: str) -> _Leaf | None:
    key = (parent_type.name, field_name)
    if key in _LEAVES:
        return _LEAVES[key]
    found = None
    field = parent_type.fields.get(field_name)
    definition = field.extensions.get(DEFINITION) if field is not None else None
    if field is not None and definition is not None and not field.args:
        non_null = isinstance(field.type, GraphQLNonNull)
        named = field.type.of_type if non_null else field.type
        owner = parent_type.extensions.get(DEFINITION)
        relation = getattr(getattr(owner, "origin", None), "RELATIONS", {}).get(field_name)
        if not is_leaf_type(named):
            pass
        elif relation is not None and not relation.paged:
            found = _Leaf(definition.python_name, named, non_null, relation)
        elif getattr(field.resolve, "_is_default", False) and definition.is_basic_field:
            found = _Leaf(definition.python_name, named, non_null)
    _LEAVES[key] = found
    return found


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor with the attribute-leaf shortcut in `execute_fields`."""

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
            for response_name, field_details_list in grouped_field_set.items():
                leaf = _leaf(parent_type, field_details_list[0].node.name.value)
                if leaf is not None:
                    value = leaf.read(source_value)
                    if value is None:
                        if not leaf.non_null:
                            results[response_name] = None
                            continue
                    elif value is not _MISSING:
                        try:
                            coerced = leaf.type.coerce_output_value(value)
                        except Exception:  # the normal path below reports it
                            coerced = None
                        if coerced is not None:
                            results[response_name] = coerced
                            continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return self._gather_fields(results, awaitable_fields)

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
            if field is not None and not field.args and not relation.paged:
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
