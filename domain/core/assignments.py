"""Naming the employee responsible for a record, checked against `permissions.ASSIGNMENTS`.

Every mutation that names an employee (account manager, sales rep, owner, assignee, …)
goes through `ensure_assignable`, so a role can only hand work to whom the table allows.
Defaults (a deal owned by whoever opens it) are not choices and keep to `active_employee`.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references
from domain.core.access import Viewer
from domain.core.errors import DomainError, NotFound
from domain.core.permissions import ASSIGNMENTS


async def ensure_assignable(
    session: AsyncSession,
    actor: Viewer,
    assignment: tuple[str, str],
    employee_id: int | None,
    field: str,
) -> int | None:
    """`employee_id` if the actor may name them for `assignment` (None names nobody)."""
    if employee_id is None:
        return None
    rule = ASSIGNMENTS[assignment]
    if employee_id == actor.employee_id:
        # The actor's own roles let them run the mutation: they may take the work themselves.
        return await references.active_employee(session, employee_id, field)
    if not actor.has_any(*rule.assigners):
        raise DomainError("FORBIDDEN", f"you may name only yourself as {rule.what}", field)
    row = await references.fetch(
        session, "erp.employee", employee_id, ("name", "status", "department_id")
    )
    if row is None:
        raise NotFound("employee", field)
    if row["status"] == "terminated":
        raise DomainError("VALIDATION", "the employee has left the company", field)
    if rule.departments is not None and not rule.departments & await references.department_codes(
        session, row["department_id"]
    ):
        raise DomainError(
            "VALIDATION", f"{row['name']} is not {rule.staff}, so cannot be {rule.what}", field
        )
    return employee_id
