"""ERP mutations about employees (HR)."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain.erp import employees
from schema import enums as e
from schema.mutations.base import INPUT, decode, decode_optional, enum_value, given, payload, run
from schema.nodes import Employee


@strawberry.input(description="A new employee.")
class EmployeeCreateInput:
    name: str = strawberry.field(description="Full name.")
    email: str = strawberry.field(description="Work email (unique; the login identity).")
    title: str = strawberry.field(description="Job title.")
    salary: Decimal = strawberry.field(description="Annual gross salary.")
    hire_date: date | None = strawberry.field(
        default=None, description="First day (default today)."
    )
    department: strawberry.ID | None = strawberry.field(default=None, description="Department.")
    manager: strawberry.ID | None = strawberry.field(default=None, description="Manager.")


@strawberry.input(description="Changes to an employee; fields left out keep their value.")
class EmployeeUpdateInput:
    id: strawberry.ID = strawberry.field(description="The employee.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Full name.")
    email: str | None = strawberry.field(default=strawberry.UNSET, description="Work email.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Job title.")
    salary: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Salary.")
    hire_date: date | None = strawberry.field(default=strawberry.UNSET, description="First day.")
    status: e.EmployeeStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Status; TERMINATED records the leaving date."
    )
    department: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Department; null removes it."
    )
    manager: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="Manager; null removes it."
    )


def _values(input: EmployeeCreateInput | EmployeeUpdateInput) -> dict[str, Any]:
    values = given(input, "name", "email", "title", "salary", "hire_date")
    if isinstance(input, EmployeeUpdateInput) and input.status is not strawberry.UNSET:
        values["status"] = enum_value(input.status)
    if input.department is not strawberry.UNSET:
        values["department_id"] = decode_optional(input.department, "Department", "department")
    if input.manager is not strawberry.UNSET:
        values["manager_id"] = decode_optional(input.manager, "Employee", "manager")
    return values


EmployeeCreatePayload = payload(
    "EmployeeCreatePayload", "employee", Employee, "Result of employeeCreate."
)
EmployeeUpdatePayload = payload(
    "EmployeeUpdatePayload", "employee", Employee, "Result of employeeUpdate."
)


@strawberry.type
class PeopleMutations:
    @strawberry.mutation(description="Hire an employee.")
    async def employee_create(
        self, info: Info, input: Annotated[EmployeeCreateInput, INPUT]
    ) -> EmployeeCreatePayload:
        return await run(
            info,
            EmployeeCreatePayload,
            lambda session, journal: employees.create(
                session=session, journal=journal, given=_values(input)
            ),
            input=input,
        )

    @strawberry.mutation(description="Change an employee's details, salary, manager or status.")
    async def employee_update(
        self, info: Info, input: Annotated[EmployeeUpdateInput, INPUT]
    ) -> EmployeeUpdatePayload:
        return await run(
            info,
            EmployeeUpdatePayload,
            lambda session, journal: employees.update(
                session=session,
                journal=journal,
                employee_id=decode(input.id, "Employee", "id"),
                version=input.version,
                given=_values(input),
            ),
            input=input,
        )
