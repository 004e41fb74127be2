"""Departments: setting up the organisation's units and changing them (HR).

A department has a short code (fixed once made: assignments and reports name it), a name
unique in the company and optionally a parent department; a department can never sit below
itself, however far down.
"""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import archiving, references, validation
from domain.core.errors import Conflict, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.erp.models.employees import Department

MAX_DEPTH = 20  # a chain of parents longer than any organisation has


async def create(
    *, session: AsyncSession, journal: Journal, given: Mapping[str, Any]
) -> Department:
    """Add a department."""
    problems = Problems()
    code = validation.text(problems, "code", given.get("code"), max_length=20)
    if code and await session.scalar(select(Department.id).where(Department.code == code)):
        problems.add("code", f"{code} already exists", "DUPLICATE")
    values = await _validated(session, problems, {"name": given.get("name"), **given}, None)
    problems.raise_if_any()
    department = Department(code=code, **values)
    session.add(department)
    await session.flush()
    journal.record(
        "department.created",
        entity_type="department",
        entity_id=department.id,
        changes={"code": department.code, "name": department.name},
    )
    return department


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    department_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Department:
    """Rename a department or move it below another; refuses a stale `version`."""
    department = await session.get(Department, department_id, with_for_update=True)
    if department is None:
        raise NotFound("department", "id")
    if department.version != version:
        raise Conflict("department")
    problems = Problems()
    values = await _validated(session, problems, given, department)
    problems.raise_if_any()
    changes = apply_changes(department, values)
    if changes:
        department.version += 1
        await session.flush()
        journal.record(
            "department.updated", entity_type="department", entity_id=department.id, changes=changes
        )
    return department


async def _validated(
    session: AsyncSession,
    problems: Problems,
    given: Mapping[str, Any],
    department: Department | None,
) -> dict[str, Any]:
    """The department fields `given` names, checked: one set of rules for create and update."""
    values: dict[str, Any] = {}
    if "name" in given:
        name = validation.text(problems, "name", given["name"], max_length=100)
        own = department.id if department is not None else None
        if name and await references.taken_by_another(session, Department.name, name, own):
            problems.add("name", f"a department named {name} exists", "DUPLICATE")
        values["name"] = name
    if "parent_id" in given:
        values["parent_id"] = given["parent_id"]
        if given["parent_id"] is not None:
            await _check_parent(session, problems, given["parent_id"], department)
    return values


async def _check_parent(
    session: AsyncSession, problems: Problems, parent_id: int, department: Department | None
) -> None:
    parent = await session.get(Department, parent_id)
    if parent is None:
        problems.add("parent", "department does not exist", "NOT_FOUND")
        return
    archiving.check_in_use(problems, parent, "department", "parent")
    if department is None:
        return
    # Up the new parent's chain: meeting the department itself would make a loop.
    above: Department | None = parent
    for _ in range(MAX_DEPTH):
        if above is None:
            return
        if above.id == department.id:
            problems.add("parent", "a department cannot sit below itself")
            return
        above = await session.get(Department, above.parent_id) if above.parent_id else None
    problems.add("parent", f"departments nest at most {MAX_DEPTH} levels")
