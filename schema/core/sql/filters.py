"""Filter inputs (`schema.core.filters`) as SQL conditions."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, String, Table, any_, literal, or_

from schema.core import filters
from schema.core.ids import decode_id
from schema.core.sql.base import Condition, listed


def conditions(filter_input: object | None, table: Table, argument: str) -> list[Condition]:
    """The conditions of a root list's filter input (`schema.core.filters`): one per field
    given, and archived rows left out unless it says `includeArchived`."""
    given = list(filters.given(filter_input)) if filter_input is not None else []
    archived = any(isinstance(spec, filters.IncludeArchived) and value for spec, _, value in given)
    found: list[Condition] = [] if archived else listed(table)
    for spec, name, value in given:
        found += _condition(spec, table, value, f"{argument}.{name}")
    return found


def _condition(spec: filters.Spec, table: Table, value: Any, path: str) -> list[Condition]:
    if isinstance(spec, filters.AnyOf):
        # Deduplicated: an enum list is then no longer than the enum, however long the request's.
        values = list(dict.fromkeys(item.value for item in value))
        return [_any(table.c[spec.column], values)] if values else []
    if isinstance(spec, filters.Equals):
        return [table.c[spec.column] == spec.normalize(value)]
    if isinstance(spec, filters.Node):
        return [table.c[spec.column] == decode_id(value, spec.type_name, path)]
    if isinstance(spec, filters.Bound):
        column = table.c[spec.column]
        return [column >= value if spec.lower else column <= value]
    if isinstance(spec, filters.Search):
        return [text_search([table.c[c] for c in spec.columns], value)] if value else []
    if isinstance(spec, filters.IncludeArchived):
        return []  # `conditions` leaves archived rows in
    if isinstance(spec, filters.Rule):
        if value:
            return [spec.condition(table)]
        return [~spec.condition(table)] if spec.negatable else []
    raise TypeError(f"unknown filter {spec!r}")


def _any(column: ColumnElement[Any], values: list[str]) -> Condition:
    # One array parameter (`= ANY($1)`): an expanded IN list costs a bind argument per value.
    return column == any_(literal(values, ARRAY(String)))


def text_search(columns: Sequence[ColumnElement[str]], text: str) -> Condition:
    """Case-insensitive substring match on any of `columns` (trigram-indexed)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*[column.ilike(pattern) for column in columns])


def entity_conditions(table: Table, entity_types: list[str], key: int) -> list[Condition]:
    """Rows naming one record by entity type and id (`entity_type`, `entity_id` columns)."""
    return [_any(table.c.entity_type, entity_types), table.c.entity_id == key]
