"""Checks on rows of another bounded context, named by table rather than by class.

CRM must not import ERP (and core imports neither), yet a customer's account manager is an
ERP employee. These helpers look such rows up by qualified table name.
"""

from typing import Any

from sqlalchemy import column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError, NotFound


async def fetch(
    session: AsyncSession, qualified_table: str, key: int, columns: tuple[str, ...] = ()
) -> dict[str, Any] | None:
    """The row's `columns` (plus id) by primary key, or None."""
    schema, name = qualified_table.split(".")
    source = table(name, column("id"), *(column(c) for c in columns), schema=schema)
    row = (await session.execute(select(source).where(source.c.id == key))).mappings().first()
    return dict(row) if row is not None else None


async def active_employee(session: AsyncSession, key: int | None, field: str) -> int | None:
    """An employee who can take on work (an account, a deal, a ticket): exists, not terminated."""
    if key is None:
        return None
    row = await fetch(session, "erp.employee", key, ("status",))
    if row is None:
        raise NotFound("employee", field)
    if row["status"] == "terminated":
        raise DomainError("VALIDATION", "the employee has left the company", field)
    return key


async def next_id(session: AsyncSession, qualified_table: str) -> int:
    """Reserve the next identity value, so a business number can be derived from it."""
    sequence = func.pg_get_serial_sequence(qualified_table, "id")
    return int((await session.execute(select(func.nextval(sequence)))).scalar_one())
