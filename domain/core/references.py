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


async def department_codes(session: AsyncSession, department_id: int | None) -> set[str]:
    """The codes of a department and of every department above it."""
    if department_id is None:
        return set()
    department = table(
        "department", column("id"), column("parent_id"), column("code"), schema="erp"
    )
    chain = (
        select(department.c.id, department.c.parent_id, department.c.code)
        .where(department.c.id == department_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union(
        select(department.c.id, department.c.parent_id, department.c.code).join(
            chain, department.c.id == chain.c.parent_id
        )
    )
    return set(await session.scalars(select(chain.c.code)))


async def next_id(session: AsyncSession, qualified_table: str) -> int:
    """Reserve the next identity value, so a business number can be derived from it."""
    sequence = func.pg_get_serial_sequence(qualified_table, "id")
    return int((await session.execute(select(func.nextval(sequence)))).scalar_one())


async def taken_by_another(
    session: AsyncSession, unique: Any, value: Any, own_id: int | None
) -> bool:
    """Whether a row other than `own_id` already holds `value` in the `unique` column."""
    statement = select(unique.table.c.id).where(unique == value)
    if own_id is not None:
        statement = statement.where(unique.table.c.id != own_id)
    return await session.scalar(statement.limit(1)) is not None
