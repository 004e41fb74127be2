"""Statements' building blocks: tables, record rules, compiling, the batch's key parameter."""

from typing import Any, TypeAlias

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    Table,
    and_,
    bindparam,
)

from domain.core.access import Viewer, record_rule
from domain.core.reads import Compiled, compile_select

Statement: TypeAlias = Select[Any]
Condition: TypeAlias = ColumnElement[bool]

# The parent keys of one batch, as one array parameter: the SQL text never depends on them.
KEYS = bindparam("keys", type_=ARRAY(BigInteger))
LIMIT = bindparam("limit", type_=Integer)


def compiled(statement: Statement, *, one_off: bool = False) -> Compiled:
    """A statement compiled for asyncpg (`domain.core.reads.compile_select`)."""
    return compile_select(statement, one_off=one_off)


def table_of(model: type) -> Table:
    """The Core table of a domain model."""
    table = model.__table__  # type: ignore[attr-defined]
    assert isinstance(table, Table)
    return table


def all_of(*conditions: Condition) -> Condition:
    """Every one of the conditions."""
    return and_(*conditions)


def listed(rows: FromClause) -> list[Condition]:
    """What keeps a table's archived rows out of a list (domain.flows.archiving): nothing for
    a table without archiving. A row read by its key, or as what another row refers to, is
    read archived or not."""
    return [rows.c.archived_at.is_(None)] if "archived_at" in rows.c else []


def visible(viewer: Viewer, table: Table) -> Condition:
    """The record rule of `table` for this viewer (`domain.core.access`)."""
    return record_rule(viewer, table)
