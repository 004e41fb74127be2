"""Filter inputs declared field by field: each field says what it tests, nothing more.

A filter input is a strawberry input whose fields come from the helpers here: `any_of` (a
column is one of some enum values), `equals`, `node` (a foreign key names this node),
`at_least` / `at_most`, `search` (text in some columns, trigram-indexed), `rule` (a read
rule of the domain, such as "overdue") and `include_archived` (archived rows listed too).
`schema.core.sql.conditions` turns the fields a client gave into SQL, so a filter is one
declaration, read alike by the schema (its GraphQL type), the SQL adapter and the test that
every search is indexed.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import strawberry
from strawberry.types.base import get_object_definition
from strawberry.utils.str_converters import to_camel_case

from schema.core.text import SEARCH_TEXT

FILTER = "bizgraph.filter"


def _unchanged(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class AnyOf:
    """The column holds one of the given enum values."""

    column: str


@dataclass(frozen=True)
class Equals:
    """The column equals the value (`normalize` may map it, or to None: no condition)."""

    column: str
    normalize: Callable[[Any], Any] = _unchanged


@dataclass(frozen=True)
class Node:
    """The foreign key column names the given node (a global ID of `type_name`)."""

    column: str
    type_name: str


@dataclass(frozen=True)
class Bound:
    """The column is at least (`lower`) or at most the value."""

    column: str
    lower: bool


@dataclass(frozen=True)
class Search:
    """Case-insensitive text in any of the columns."""

    columns: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """A read rule of the domain holds (true), or — when `negatable` — does not (false).

    `condition` takes the filtered table and returns the rule's SQL condition.
    """

    condition: Callable[[Any], Any]
    negatable: bool


@dataclass(frozen=True)
class IncludeArchived:
    """Archived rows are listed too (they are left out unless this is true)."""


Spec: TypeAlias = AnyOf | Equals | Node | Bound | Search | Rule | IncludeArchived


def _field(spec: Spec, description: str, **metadata: Any) -> Any:
    return strawberry.field(
        default=None, description=description, metadata={FILTER: spec, **metadata}
    )


def any_of(column: str, description: str) -> Any:
    return _field(AnyOf(column), description)


def equals(column: str, description: str, normalize: Callable[[Any], Any] = _unchanged) -> Any:
    return _field(Equals(column, normalize), description)


def node(column: str, type_name: str, description: str) -> Any:
    return _field(Node(column, type_name), description)


def at_least(column: str, description: str) -> Any:
    return _field(Bound(column, lower=True), description)


def at_most(column: str, description: str) -> Any:
    return _field(Bound(column, lower=False), description)


def search(*columns: str, description: str) -> Any:
    # Every character of a term is work for the trigram index: a term is short (schema.core.text).
    return _field(Search(columns), description, **SEARCH_TEXT)


def rule(condition: Callable[[Any], Any], description: str, *, negatable: bool) -> Any:
    return _field(Rule(condition, negatable), description)


def include_archived() -> Any:
    return _field(IncludeArchived(), "Also list archived records (left out by default).")


def given(filter_input: object) -> Iterator[tuple[Spec, str, Any]]:
    """(spec, GraphQL name, value) of each field of a filter input the client set."""
    for definition in get_object_definition(filter_input, strict=True).fields:
        value = getattr(filter_input, definition.python_name)
        if value is None:
            continue
        spec = definition.metadata[FILTER]
        yield spec, definition.graphql_name or to_camel_case(definition.python_name), value


def specs(filter_type: type) -> dict[str, Spec]:
    """The fields of a filter input type and what each tests, by Python name."""
    return {
        definition.python_name: definition.metadata[FILTER]
        for definition in get_object_definition(filter_type, strict=True).fields
    }
