"""Read permissions of `domain.core.permissions`, enforced by a guard on every field they touch.

A field is denied to a viewer when its type (a connection or edge counts as its node type)
is one the viewer's roles may not read, or when it exposes a restricted fact (an open
balance, an order's payment state: `FACT_FIELDS`), or when its arguments sort or filter by
one (`FACT_INPUTS`: the order of the rows would reveal the value).

When the schema is built, `install_read_guards` derives from the permission table which
fields any of this can concern and wraps each one's resolver in its `ReadGuard`: a denied
field answers null and a `FORBIDDEN` error on its path, and its resolver never runs. The
guard is an ordinary GraphQL resolver, which graphql-core's executor calls on every path —
root fields, nested relations, aliases, fragments, mutation payloads — whatever executes
the schema: nothing else decides access, so no executor, shortcut or upstream change can
skip it, and no resolver checks anything by hand. Objects reached through an abstract type
(`node(id:)`, `nodes(ids:)`) are checked by those resolvers (`refuse_unreadable`).

Why a resolver guard rather than the alternatives: a validation rule runs once per document
before the variables are known, its result is cached per document (not per role), and it
refuses the whole operation where a denial must null one field; a strawberry field extension
would run strawberry's resolver wrapper on every guarded field (about six times the cost of a
plain field) and be named field by field, a second place beside the table; a schema
directive only marks a field, something must still enforce it. The guard asks the table,
once per set of roles (`denials`), and costs one set lookup per call.

Fields that some role able to read their parent may not read are nullable in the schema
(a test checks it), so a denial nulls that field only, not its parent.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    default_field_resolver,
    get_named_type,
)

from domain.core.access import Viewer
from domain.core.permissions import PERMISSIONS, RESTRICTED_FIELDS, RESTRICTED_INPUTS, fact_of

FORBIDDEN = "FORBIDDEN"
_WRAPPERS = ("Connection", "Edge", "Aggregate")


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

    def field_denial(self, parent: str, name: str, definition: GraphQLField) -> str | None:
        """Why the viewer may not read `parent.name` (a message), or None when they may."""
        if (parent, name) in self.fields:
            fact = fact_of(parent, name)
            about = f" ({fact.label})" if fact is not None else ""
            return f"your roles may not read {parent}.{name}{about}"
        guarded = permission_type(get_named_type(definition.type))
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
                    label = (
                        fact.label
                        if fact is not None
                        else _INPUT_LABELS.get(member, ".".join(member))
                    )
                    message = f"your roles may not read {label}: `{name}` may not use {member[1]}"
                    return message, name
        return None


# Input members closed to some roles: the facts' sorts and filters (`RESTRICTED_INPUTS`), and
# what each member of a `where` input reads (`schema.core.where` registers them before the
# schema is built), with what to call it in the refusal.
_INPUT_READERS: dict[tuple[str, str], frozenset[str]] = dict(RESTRICTED_INPUTS)
_INPUT_LABELS: dict[tuple[str, str], str] = {}


def restrict_inputs(readers: Mapping[tuple[str, str], tuple[frozenset[str], str]]) -> None:
    """Close more input members: `(input type, member) -> (readers, what it reads)`."""
    for key, (allowed, label) in readers.items():
        _INPUT_READERS[key] = allowed
        _INPUT_LABELS[key] = label
    may_reveal.cache_clear()
    _denials.cache_clear()


def input_readers(type_name: str, member: str) -> frozenset[str] | None:
    """The roles that may use an input member, when it is closed to some (else None)."""
    return _INPUT_READERS.get((type_name, member))


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
        if any((named.name, member) in _INPUT_READERS for member in members):
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
            key for key, readers in _INPUT_READERS.items() if not viewer.has_any(*readers)
        ),
    )


def denials(viewer: Viewer) -> Denials:
    """The denials of this viewer's roles (worked out once per set of roles)."""
    return _denials(viewer.roles)


# A request without a viewer (nothing authenticated it) has no roles: it may read nothing.
_NOBODY = Viewer(employee_id=None, email="")
GUARD = "bizgraph.read_guard"


def viewer_of(context: Any) -> Viewer:
    viewer = getattr(context, "viewer", None)
    return viewer if isinstance(viewer, Viewer) else _NOBODY


@dataclass(frozen=True, eq=False)
class ReadGuard:
    """Who may read one field: its type, its fact and its arguments, per the permission table."""

    parent: str
    name: str
    field: GraphQLField
    # Its arguments can name a restricted sort or filter (most fields' never can).
    reveals: bool

    def denial(self, viewer: Viewer, arguments: Mapping[str, Any] | None) -> GraphQLError | None:
        """The FORBIDDEN error of this field for this viewer (None when they may read it).

        `arguments`: the field's argument values by GraphQL name, as graphql-core passes them
        to resolvers (checked with the values: a variable can carry a sort key too).
        """
        denied = denials(viewer)
        message = denied.field_denial(self.parent, self.name, self.field)
        if message is not None:
            return GraphQLError(message, extensions={"code": FORBIDDEN})
        if self.reveals and denied.inputs and arguments:
            found = denied.argument_denial(self.field, arguments)
            if found is not None:
                message, argument = found
                return GraphQLError(message, extensions={"code": FORBIDDEN, "argument": argument})
        return None


def _guard(parent: GraphQLObjectType, name: str, field: GraphQLField) -> ReadGuard | None:
    reveals = any(may_reveal(argument.type) for argument in field.args.values())
    concerned = (
        (parent.name, name) in RESTRICTED_FIELDS
        or permission_type(get_named_type(field.type)) is not None
        or reveals
    )
    return ReadGuard(parent.name, name, field, reveals) if concerned else None


def _guarded(guard: ReadGuard, resolve: Any) -> Any:
    def resolve_guarded(source: Any, info: Any, **arguments: Any) -> Any:
        error = guard.denial(viewer_of(info.context), arguments)
        if error is not None:
            raise error
        return resolve(source, info, **arguments)

    resolve_guarded.unguarded = resolve  # type: ignore[attr-defined]
    return resolve_guarded


def install_read_guards(schema: GraphQLSchema) -> None:
    """Guard every field the permission table concerns (see the module docstring)."""
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for name, field in graphql_type.fields.items():
            guard = _guard(graphql_type, name, field)
            if guard is not None and GUARD not in field.extensions:
                field.extensions = {**field.extensions, GUARD: guard}
                field.resolve = _guarded(guard, field.resolve or default_field_resolver)


def guard_of(field: GraphQLField) -> ReadGuard | None:
    guard = field.extensions.get(GUARD)
    return guard if isinstance(guard, ReadGuard) else None


def unguarded(resolve: Any) -> Any:
    """A field's resolver without its guard (to tell what the field itself does)."""
    return getattr(resolve, "unguarded", resolve)


def read_denial(field: GraphQLField, viewer: Viewer, arguments: Mapping[str, Any]) -> Any:
    """The guard's error for this field, viewer and arguments; None when it may be read."""
    guard = guard_of(field)
    return None if guard is None else guard.denial(viewer, arguments)


def input_denial(viewer: Viewer, input_type: Any, value: Any) -> GraphQLError | None:
    """FORBIDDEN when an input value (a saved `where`, say) uses a member the viewer's roles
    may not use; None when they may."""
    denied = denials(viewer).inputs
    for member in _members(input_type, value):
        if member in denied:
            fact = fact_of(*member)
            label = fact.label if fact is not None else _INPUT_LABELS.get(member, ".".join(member))
            return GraphQLError(
                f"your roles may not read {label}: the conditions use {member[1]}",
                extensions={"code": FORBIDDEN},
            )
    return None


def unreadable(viewer: Viewer, type_name: str) -> GraphQLError | None:
    """FORBIDDEN for an object of a type the viewer may not read, wherever an abstract field
    (`node`, `nodes`) would return one."""
    if type_name in denials(viewer).types:
        return GraphQLError(f"your roles may not read {type_name}", extensions={"code": FORBIDDEN})
    return None


def refuse_unreadable(viewer: Viewer, type_name: str) -> None:
    error = unreadable(viewer, type_name)
    if error is not None:
        raise error
