"""Read permissions of `domain.core.permissions`, applied where every value passes: the executor.

A field is denied to a viewer when its type (a connection or edge counts as its node type)
is one the viewer's roles may not read, or when it exposes a restricted fact (an open
balance, an order's payment state: `FACT_FIELDS`), or when its arguments sort or filter by
one (`FACT_INPUTS`: the order of the rows would reveal the value). The
executor (`schema.execution`) answers a denied field with null and a `FORBIDDEN` error on
that path without running its resolver, and refuses an object of a denied type wherever it
appears (`node(id:)`, `nodes(ids:)`, a mutation's payload); the prefetch does not load
denied relations. Every path of the graph — root fields, nested relations, aliases,
fragments — goes through these checks, so no resolver checks anything by hand.

Fields that some role able to read their parent may not read are nullable in the schema
(a test checks it), so a denial nulls that field only, not its parent.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    get_named_type,
)

from domain.core.access import Viewer
from domain.core.permissions import PERMISSIONS, RESTRICTED_FIELDS, RESTRICTED_INPUTS, fact_of

FORBIDDEN = "FORBIDDEN"
_WRAPPERS = ("Connection", "Edge")


def permission_type(graphql_type: GraphQLNamedType) -> str | None:
    """The entry of the permission table that guards values of this type, if any."""
    return _permission_type(graphql_type.name)


@cache
def _permission_type(name: str) -> str | None:
    if name in PERMISSIONS:
        return name
    for suffix in _WRAPPERS:
        if name.endswith(suffix) and name[: -len(suffix)] in PERMISSIONS:
            return name[: -len(suffix)]
    return None


@dataclass(frozen=True)
class Denials:
    """What one set of roles may not read: types of the permission table and restricted fields."""

    types: frozenset[str]
    fields: frozenset[tuple[str, str]]
    inputs: frozenset[tuple[str, str]] = frozenset()

    def field_denial(
        self, parent: GraphQLObjectType, name: str, definition: GraphQLField
    ) -> str | None:
        """Why the viewer may not read `parent.name` (a message), or None when they may."""
        if (parent.name, name) in self.fields:
            fact = fact_of(parent.name, name)
            about = f" ({fact.label})" if fact is not None else ""
            return f"your roles may not read {parent.name}.{name}{about}"
        guarded = permission_type(get_named_type(definition.type))
        if guarded is not None and guarded in self.types:
            return f"your roles may not read {guarded}"
        return None

    def type_denial(self, object_type: GraphQLObjectType) -> str | None:
        """Why the viewer may not see an object of this type (asked once per object)."""
        if not self.types:
            return None
        guarded = permission_type(object_type)
        if guarded is not None and guarded in self.types:
            return f"your roles may not read {guarded}"
        return None

    def argument_denial(
        self, definition: GraphQLField, arguments: Mapping[str, Any]
    ) -> tuple[str, str] | None:
        """Why the viewer may not pass these (coerced) arguments — a sort or filter by a fact —
        and which argument it is; None when they may.

        Checked with the values, not the document: a variable can carry the sort key too.
        """
        if not self.inputs:
            return None
        for name, argument in definition.args.items():
            if name not in arguments or not may_reveal(argument.type):
                continue
            for member in _members(argument.type, arguments[name]):
                if member in self.inputs:
                    fact = fact_of(*member)
                    label = fact.label if fact is not None else ".".join(member)
                    message = f"your roles may not read {label}: `{name}` may not use {member[1]}"
                    return message, name
        return None


@cache
def may_reveal(input_type: GraphQLInputType) -> bool:
    """Whether a value of this input type can name a restricted sort or filter at all.

    Worked out once per type, so arguments that never can (most of them) cost nothing.
    """
    seen: set[str] = set()
    pending = [get_named_type(input_type)]
    while pending:
        named = pending.pop()
        if named.name in seen:
            continue  # input types may refer to themselves (nested AND/OR filters)
        seen.add(named.name)
        if isinstance(named, GraphQLEnumType):
            members: Iterable[str] = named.values
        elif isinstance(named, GraphQLInputObjectType):
            members = named.fields
            pending += [get_named_type(field.type) for field in named.fields.values()]
        else:
            continue
        if any((named.name, member) in RESTRICTED_INPUTS for member in members):
            return True
    return False


def _members(input_type: GraphQLInputType, value: Any) -> Iterator[tuple[str, str]]:
    """The (type, member) pairs a coerced argument value uses: enum values, given fields."""
    if value is None:
        return
    if isinstance(input_type, GraphQLNonNull):
        yield from _members(input_type.of_type, value)
    elif isinstance(input_type, GraphQLList):
        for item in value if isinstance(value, list) else [value]:
            yield from _members(input_type.of_type, item)
    elif isinstance(input_type, GraphQLEnumType):
        yield input_type.name, input_type.serialize(value)
    elif isinstance(input_type, GraphQLInputObjectType):
        for name, field in input_type.fields.items():
            given = _field_value(value, name, field.out_name)
            if given is not None:
                yield input_type.name, name
                yield from _members(field.type, given)


def _field_value(value: Any, name: str, out_name: str | None) -> Any:
    # graphql-core coerces input objects to dicts, or to strawberry's input classes.
    if isinstance(value, Mapping):
        return value.get(out_name or name)
    return getattr(value, out_name or name, None)


@lru_cache(maxsize=256)
def _denials(roles: frozenset[str]) -> Denials:
    viewer = Viewer(employee_id=None, email="", roles=roles)
    return Denials(
        types=frozenset(
            name for name, access in PERMISSIONS.items() if not viewer.has_any(*access.read)
        ),
        fields=frozenset(
            key for key, readers in RESTRICTED_FIELDS.items() if not viewer.has_any(*readers)
        ),
        inputs=frozenset(
            key for key, readers in RESTRICTED_INPUTS.items() if not viewer.has_any(*readers)
        ),
    )


def denials(viewer: Viewer) -> Denials:
    """The denials of this viewer's roles (worked out once per set of roles)."""
    return _denials(viewer.roles)
