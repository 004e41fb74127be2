"""What a kind of imported record is, and how a file's text becomes values.

A kind names its columns (the file's header, snake_case), checks a record with the same
rules every other way of writing that record uses (`domain.crm.customers.checked`, …), and
says in SQL how checked records, staged in a temporary table, find what they refer to and
are upserted by their `external_id` within the import's source system: a record met again
changes only if a value differs, so importing the same file twice changes nothing.

Values in files are text: numbers with a point for decimals, dates as `YYYY-MM-DD`, instants
in ISO 8601 (`2024-03-01T09:30:00+01:00`; one without an offset is read as UTC, a date alone
as its midnight UTC).
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from domain.core import validation
from domain.core.errors import Problems

EXTERNAL_ID_CHARS = 100


@dataclass(frozen=True)
class Reference:
    """A column naming another record; `missing` is SQL over the staging table `s` that
    finds the lines whose reference has no match (parameter $1: the source system)."""

    column: str
    missing: str
    message: str


@dataclass(frozen=True)
class Kind:
    name: str
    table: str  # the domain table, schema-qualified
    # Staging columns after `line` and `external_id`, with their SQL types.
    staged: tuple[tuple[str, str], ...]
    check: Callable[[Problems, Mapping[str, Any]], dict[str, Any]]
    references: tuple[Reference, ...]
    # INSERT … SELECT … FROM staging s … ON CONFLICT …: $1 the source system; RETURNING
    # one row per written record, `inserted` true for a new one.
    upsert: str
    # SELECT of every record in the file's columns, in their order; $1 the source system, or
    # null for every record (one without an external id shows its key as `external_id`).
    export: str
    example: str  # a header line, for the docs and error messages
    # What follows from the written records in the same transaction (an order's totals
    # from its lines, an invoice's status from its payments); $1 the source system.
    after: Callable[[asyncpg.Connection, str], Awaitable[None]] | None = None
    # Staged columns the check computes, never read from a file (an order line's total).
    derived: tuple[str, ...] = ()
    # The analytics steps (`domain.analytics.recompute.STEPS`) whose figures the records feed:
    # imports send no events, so these are recomputed after an import that changed anything.
    feeds: tuple[str, ...] = ()
    # Columns an empty cell leaves as stored (a number bizgraph gave the record, say).
    kept_if_empty: tuple[str, ...] = ()
    # Tables the kind's `after` writes besides its own (a bulk load rebuilds their indexes too).
    also_writes: tuple[str, ...] = ()

    @property
    def writes(self) -> tuple[str, ...]:
        return (self.table, *self.also_writes)

    @property
    def columns(self) -> tuple[str, ...]:
        """The file's columns."""
        return ("external_id", *(name for name, _ in self.staged if name not in self.derived))


def decimal_value(problems: Problems, field: str, value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        problems.add(field, f"{value!r} is not a number")
        return None


def whole_value(problems: Problems, field: str, value: Any, default: int | None) -> int | None:
    if value is None or value == "":
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        problems.add(field, f"{value!r} is not a whole number")
        return None


def day_value(problems: Problems, field: str, value: Any, *, required: bool) -> date | None:
    """A calendar date (`2024-03-01`), between 1900 and a year from today."""
    if value is None or value == "":
        if required:
            problems.add(field, "must not be empty")
        return None
    try:
        parsed = date.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(field, f"{value!r} is not a date (YYYY-MM-DD)")
        return None
    return validation.day(
        problems,
        field,
        parsed,
        earliest=validation.EARLIEST_DATE,
        latest=validation.years_from_today(1),
    )


def instant_value(
    problems: Problems, field: str, value: Any, *, required: bool, past: bool = True
) -> datetime | None:
    """When something happened (never in the future, unless `past` is false: a promised
    date); UTC unless the text names an offset."""
    if value is None or value == "":
        if required:
            problems.add(field, "must not be empty")
        return None
    try:
        parsed = datetime.fromisoformat(str(value).strip())
    except ValueError:
        problems.add(field, f"{value!r} is not a date and time (ISO 8601)")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return validation.past_instant(problems, field, parsed) if past else parsed


def key_value(problems: Problems, field: str, value: Any, *, required: bool = True) -> str | None:
    """Another record's external id (or code): trimmed, never empty when required."""
    cleaned = str(value).strip() if value is not None else ""
    if not cleaned:
        if required:
            problems.add(field, "must not be empty")
        return None
    return cleaned


def lowered(value: Any) -> Any:
    """Words of a fixed vocabulary (`Gold`, ` ACTIVE`) as stored: trimmed, lower case."""
    return value.strip().lower() if isinstance(value, str) else value


def one_of(problems: Problems, field: str, value: Any, allowed: tuple[str, ...]) -> str | None:
    if value not in allowed:
        problems.add(field, f"must be one of {', '.join(allowed)}")
        return None
    return str(value)


def external_reference(column: str, table: str, message: str) -> Reference:
    """A column holding the external id (in the same source) of a record of `table`."""
    return Reference(
        column,
        f"SELECT s.line, s.{column} FROM staging s WHERE s.{column} IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM {table} t WHERE t.external_source = $1 AND t.external_id = s.{column})",
        message,
    )


def taken(column: str, table: str, message: str) -> Reference:
    """A code, number or SKU another record already has: the record would take it over."""
    return Reference(
        column,
        f"SELECT s.line, s.{column} FROM staging s JOIN {table} t ON t.{column} = s.{column} "
        "WHERE (t.external_source, t.external_id) IS DISTINCT FROM ($1::text, s.external_id)",
        message,
    )


def unchangeable(column: str, table: str, message: str) -> Reference:
    """A record met again with another value where none may change."""
    return Reference(
        column,
        f"SELECT s.line, s.{column} FROM staging s JOIN {table} t "
        "ON t.external_source = $1 AND t.external_id = s.external_id "
        f"WHERE t.{column} <> s.{column}",
        message,
    )


def again_in_file(column: str, key: str, where: str, message: str) -> Reference:
    """A record of the file whose `key` (with `where`) an earlier line of the file has."""
    condition = f"WHERE {where}" if where else ""
    return Reference(
        column,
        f"SELECT line, {column} FROM (SELECT s.*, row_number() OVER "
        f"(PARTITION BY {key} ORDER BY line) AS seen FROM staging s {condition}) f "
        "WHERE seen > 1",
        message,
    )


# A warehouse named by its code (set up in bizgraph, never imported).
WAREHOUSE = Reference(
    "warehouse",
    "SELECT s.line, s.warehouse FROM staging s WHERE s.warehouse IS NOT NULL "
    "AND NOT EXISTS (SELECT 1 FROM erp.warehouse w WHERE w.code = s.warehouse)",
    "no warehouse has this code",
)
