"""Read permissions of `domain.core.permissions`, applied where every value passes: the executor.

A field is denied to a viewer when its type (a connection or edge counts as its node type)
is one the viewer's roles may not read, or when the field itself is restricted. The
executor (`schema.execution`) answers a denied field with null and a `FORBIDDEN` error on
that path without running its resolver, and refuses an object of a denied type wherever it
appears (`node(id:)`, `nodes(ids:)`, a mutation's payload); the prefetch does not load
denied relations. Every path of the graph — root fields, nested relations, aliases,
fragments — goes through these checks, so no resolver checks anything by hand.

Fields that some role able to read their parent may not read are nullable in the schema
(a test checks it), so a denial nulls that field only, not its parent.
"""

from dataclasses import dataclass
from functools import cache, lru_cache

from graphql import GraphQLField, GraphQLNamedType, GraphQLObjectType, get_named_type

from domain.core.access import Viewer
from domain.core.permissions import PERMISSIONS, RESTRICTED_FIELDS

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

    def field_denial(
        self, parent: GraphQLObjectType, name: str, definition: GraphQLField
    ) -> str | None:
        """Why the viewer may not read `parent.name` (a message), or None when they may."""
        if (parent.name, name) in self.fields:
            return f"your roles may not read {parent.name}.{name}"
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
    )


def denials(viewer: Viewer) -> Denials:
    """The denials of this viewer's roles (worked out once per set of roles)."""
    return _denials(viewer.roles)
