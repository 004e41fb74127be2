"""Employees: hiring, changing details (optimistic concurrency) and leaving."""

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import archiving, assignments, references, validation
from domain.core.access import Viewer
from domain.core.errors import Conflict, DomainError, NotFound, Problems
from domain.core.journal import Journal, apply_changes
from domain.erp.models.employees import EMPLOYEE_STATUSES, Department, Employee

TEXT_LIMITS = {"name": 200, "title": 100}
# Salaries are audited as changed, never with their amounts (the audit log is widely readable).
SENSITIVE = frozenset({"salary"})


async def create(*, session: AsyncSession, journal: Journal, given: Mapping[str, Any]) -> Employee:
    """Hire someone; their email is their login identity and must be unique."""
    values = await _validated(session, journal.actor, given, employee_id=None)
    employee_id = await references.next_id(session, "erp.employee")
    employee = Employee(id=employee_id, **values)
    session.add(employee)
    await session.flush()
    journal.record(
        "employee.created",
        entity_type="employee",
        entity_id=employee_id,
        changes=_redacted({name: {"to": value} for name, value in values.items()}),
    )
    return employee


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    employee_id: int,
    version: int,
    given: Mapping[str, Any],
) -> Employee:
    """Change an employee's details, manager, salary or status; refuses a stale `version`."""
    employee = await session.scalar(
        select(Employee).where(Employee.id == employee_id).with_for_update()
    )
    if employee is None:
        raise NotFound("employee", "id")
    if employee.version != version:
        raise Conflict("employee")
    values = await _validated(session, journal.actor, given, employee_id=employee_id)
    if values.get("status") == "terminated" and employee.status != "terminated":
        values["terminated_at"] = datetime.now(UTC)
    elif values.get("status") not in (None, "terminated"):
        values["terminated_at"] = None
    changes = apply_changes(employee, values)
    if changes:
        employee.version += 1
        await session.flush()
        journal.record(
            "employee.updated",
            entity_type="employee",
            entity_id=employee_id,
            changes=_redacted(changes),
        )
    return employee


def checked(problems: Problems, given: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    """The values `given` names that need no lookup, checked (problems collected): the rules
    every way of writing an employee shares, imports included."""
    values: dict[str, Any] = {}
    for name, limit in TEXT_LIMITS.items():
        if creating or name in given:
            values[name] = validation.text(problems, name, given.get(name), max_length=limit)
    if creating or "email" in given:
        # The email is the login identity: ASCII (tokens naming any other address are refused,
        # docs/SECURITY.md), compared and stored in lower case.
        address = validation.email(problems, "email", given.get("email"), required=True)
        if address is not None and not address.isascii():
            problems.add("email", "must be an ASCII address: it is the employee's login")
            address = None
        values["email"] = address.lower() if address else None
    if creating or "hire_date" in given:
        values["hire_date"] = validation.day(
            problems,
            "hireDate",
            given.get("hire_date") or date.today(),
            earliest=validation.EARLIEST_DATE,
            latest=validation.years_from_today(1),
        )
    if creating or "salary" in given:
        values["salary"] = validation.amount(problems, "salary", given.get("salary"))
        if values["salary"] is None and "salary" not in [e.field for e in problems.errors]:
            problems.add("salary", "must be given")
    if given.get("status") is not None:
        if given["status"] not in EMPLOYEE_STATUSES:
            problems.add("status", f"must be one of {', '.join(EMPLOYEE_STATUSES)}")
        values["status"] = given["status"]
    return values


async def _validated(
    session: AsyncSession, actor: Viewer, given: Mapping[str, Any], *, employee_id: int | None
) -> dict[str, Any]:
    creating = employee_id is None
    problems = Problems()
    values = checked(problems, given, creating=creating)
    if values.get("email") and await session.scalar(
        select(Employee.id).where(
            Employee.email == values["email"], Employee.id != (employee_id or 0)
        )
    ):
        problems.add("email", f"{values['email']} belongs to another employee", "DUPLICATE")
    if "department_id" in given:
        department = (
            await session.get(Department, given["department_id"])
            if given["department_id"] is not None
            else None
        )
        if given["department_id"] is not None and department is None:
            problems.add("department", "department does not exist", "NOT_FOUND")
        elif department is not None:
            archiving.check_in_use(problems, department, "department", "department")
        values["department_id"] = given["department_id"]
    if "manager_id" in given:
        await _check_manager(session, actor, employee_id, given["manager_id"], problems)
        values["manager_id"] = given["manager_id"]
    problems.raise_if_any()
    return values


async def _check_manager(
    session: AsyncSession,
    actor: Viewer,
    employee_id: int | None,
    manager_id: int | None,
    problems: Problems,
) -> None:
    if manager_id is None:
        return
    try:
        await assignments.ensure_assignable(
            session, actor, ("Employee", "manager"), manager_id, "manager"
        )
    except DomainError as error:
        problems.collect(error)
        return
    if employee_id is not None and employee_id in await _chain_of_command(session, manager_id):
        problems.add("manager", "would make the employee their own (indirect) manager")


async def _chain_of_command(session: AsyncSession, employee_id: int) -> set[int]:
    """The employee and everyone above them."""
    chain = (
        select(Employee.id, Employee.manager_id)
        .where(Employee.id == employee_id)
        .cte(recursive=True)
    )
    chain = chain.union(
        select(Employee.id, Employee.manager_id).join(chain, Employee.id == chain.c.manager_id)
    )
    return set(await session.scalars(select(chain.c.id)))


def _redacted(changes: dict[str, Any]) -> dict[str, Any]:
    return {name: ("changed" if name in SENSITIVE else change) for name, change in changes.items()}
