"""Suppliers: adding who the company buys from, and changing their details."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import Conflict, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.erp.models.stock import Supplier

FIELDS = ("name", "email", "country", "lead_time_days")
MAX_LEAD_TIME_DAYS = 365


async def create(*, session: AsyncSession, journal: Journal, given: Mapping[str, Any]) -> Supplier:
    """Add a supplier; without a code of its own it gets the next supplier number."""
    problems = Problems()
    values = checked(problems, {"lead_time_days": 14, **given, "name": given.get("name")})
    code = validation.text(problems, "code", given.get("code"), max_length=20, required=False)
    if code and await session.scalar(select(Supplier.id).where(Supplier.code == code)):
        problems.add("code", f"{code} already exists", "DUPLICATE")
    problems.raise_if_any()
    supplier_id = await references.next_id(session, "erp.supplier")
    supplier = Supplier(id=supplier_id, code=code or f"S{supplier_id:05d}", **values)
    session.add(supplier)
    await session.flush()
    journal.record(
        "supplier.created",
        entity_type="supplier",
        entity_id=supplier.id,
        changes={"code": supplier.code, "name": supplier.name},
    )
    return supplier


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    supplier_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Supplier:
    """Change a supplier's name, ordering email, country or lead time; refuses a stale
    `version`. The code stays: purchase orders and imports refer to it."""
    supplier = await session.get(Supplier, supplier_id, with_for_update=True)
    if supplier is None:
        raise NotFound("supplier", "id")
    if supplier.version != version:
        raise Conflict("supplier")
    problems = Problems()
    values = checked(problems, given)
    problems.raise_if_any()
    changes = apply_changes(supplier, values)
    if changes:
        supplier.version += 1
        await session.flush()
        journal.record(
            "supplier.updated", entity_type="supplier", entity_id=supplier.id, changes=changes
        )
    return supplier


def checked(problems: Problems, given: Mapping[str, Any]) -> dict[str, Any]:
    """The supplier fields `given` names, checked: one set of rules for create and update."""
    values: dict[str, Any] = {}
    if "name" in given:
        values["name"] = validation.text(problems, "name", given["name"], max_length=200)
    if "email" in given:
        values["email"] = validation.email(problems, "email", given["email"])
    if "country" in given:
        values["country"] = validation.country(problems, "country", given["country"])
    if "lead_time_days" in given:
        days = given["lead_time_days"]
        if days is None or not 0 <= days <= MAX_LEAD_TIME_DAYS:
            problems.add("leadTimeDays", f"must be between 0 and {MAX_LEAD_TIME_DAYS}")
        values["lead_time_days"] = days
    return values
