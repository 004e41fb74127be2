"""Statements' building blocks: tables, record rules, compiling, the batch's key parameter."""

from typing import Any, TypeAlias

from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    Table,
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


def visible(viewer: Viewer, table: Table) -> Condition:
    """The record rule of `table` for this viewer (`domain.core.access`)."""
    return record_rule(viewer, table)
