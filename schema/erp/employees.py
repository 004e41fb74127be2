"""Employees and departments: the organisation, its root list, hiring and changes (HR)."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from strawberry import relay

from domain.erp import departments, employees
from domain.erp.models import Department as DepartmentModel
from domain.erp.models import Employee as EmployeeModel
from domain.erp.models.employees import EMPLOYEE_STATUSES
from schema.core import filters, sql
from schema.core.connections import fixed, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import enum_value, given, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.pagination import Connection
from schema.core.relations import Children, Page, ToOne
from schema.crm.customers import Customer

EmployeeStatus = vocabulary_enum("EmployeeStatus", EMPLOYEE_STATUSES, "Employment status.")


@strawberry.type(description="A person working for the company.")
class Employee(TableNode):
    MODEL = EmployeeModel
    id: relay.NodeID[int]
    name: str = desc("Full name.")
    email: str = desc("Work email, also the login identity.")
    title: str = desc("Job title.")
    hire_date: date = desc("First working day.")
    salary: Decimal | None = desc("Annual gross salary (restricted to HR and admins).")
    status: EmployeeStatus = desc("Employment status.")
    version: int = desc("Version for optimistic concurrency on updates.")

    department: "Department | None" = ToOne["Department"]("department_id").field(
        "The department the employee belongs to."
    )
    manager: "Employee | None" = ToOne["Employee"]("manager_id").field("The employee's manager.")
    reports: list["Employee"] = Children["Employee"](
        "manager_id", order=("name",), estimated_items=10
    ).field("Employees reporting directly to this one.")
    managed_customers: Connection[Customer] | None = Page[Customer](
        "account_manager_id", sort=sql.ascending("name")
    ).field("Customers this employee manages as account manager, by name.")


@strawberry.type(description="An organisational unit.")
class Department(TableNode):
    MODEL = DepartmentModel
    id: relay.NodeID[int]
    code: str = desc("Short code.")
    name: str = desc("Name.")
    version: int = desc("Increases with every change; send it back with departmentUpdate.")
    archived_at: datetime | None = desc(
        "When it was archived: left out of lists, kept for what refers to it; null while in use."
    )

    parent: "Department | None" = ToOne["Department"]("parent_id").field(
        "The department this one belongs to, if any."
    )
    employees: list[Employee] = Children[Employee](
        "department_id", order=("name",), estimated_items=50
    ).field("Employees of the department, by name.")


@strawberry.input(description="Filters for departments.")
class DepartmentFilter:
    include_archived: bool | None = filters.include_archived()


@strawberry.input(description="Filters for employees.")
class EmployeeFilter:
    status: list[EmployeeStatus] | None = filters.any_of("status", "Any of these statuses.")
    department: relay.GlobalID | None = filters.node(
        "department_id", "Department", "In this department."
    )
    manager: relay.GlobalID | None = filters.node(
        "manager_id", "Employee", "Reporting to this employee."
    )
    search: str | None = filters.search("name", "email", description="Text in name or email.")
    hired_from: date | None = filters.at_least("hire_date", "Hired on or after.")
    hired_to: date | None = filters.at_most("hire_date", "Hired on or before.")


@strawberry.type
class EmployeeQueries:
    employees = root_connection(
        Employee, description="Employees by name.", sort=fixed("name"), filter=EmployeeFilter
    )
    departments = root_connection(
        Department,
        description="Departments by name, each with its employees.",
        sort=fixed("name"),
        filter=DepartmentFilter,
    )


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
    idempotency_key: str | None = retry_key("creating a second employee")


@strawberry.input(description="Changes to an employee; fields left out keep their value.")
class EmployeeUpdateInput:
    id: strawberry.ID = strawberry.field(description="The employee.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Full name.")
    email: str | None = strawberry.field(default=strawberry.UNSET, description="Work email.")
    title: str | None = strawberry.field(default=strawberry.UNSET, description="Job title.")
    salary: Decimal | None = strawberry.field(default=strawberry.UNSET, description="Salary.")
    hire_date: date | None = strawberry.field(default=strawberry.UNSET, description="First day.")
    status: EmployeeStatus | None = strawberry.field(
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


@strawberry.input(description="A new department.")
class DepartmentCreateInput:
    code: str = strawberry.field(description="Short code, unique; fixed once made.")
    name: str = strawberry.field(description="Name, unique.")
    parent: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The department it belongs to."
    )
    idempotency_key: str | None = retry_key("adding a second department")


@strawberry.input(description="Changes to a department; fields left out keep their value.")
class DepartmentUpdateInput:
    id: strawberry.ID = strawberry.field(description="The department.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name, unique.")
    parent: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET, description="The department it belongs to; null: none."
    )


def _department(input: DepartmentCreateInput | DepartmentUpdateInput) -> dict[str, Any]:
    values = given(input, "name")
    if isinstance(input, DepartmentCreateInput):
        values["code"] = input.code
    if input.parent is not strawberry.UNSET:
        values["parent_id"] = decode_optional(input.parent, "Department", "parent")
    return values


@strawberry.type
class DepartmentMutations:
    department_create = mutation(
        DepartmentCreateInput,
        Department,
        "Add a department.",
        lambda input, session, journal: departments.create(
            session=session, journal=journal, given=_department(input)
        ),
    )
    department_update = mutation(
        DepartmentUpdateInput,
        Department,
        "Rename a department or move it below another.",
        lambda input, session, journal: departments.update(
            session=session,
            journal=journal,
            department_id=decode(input.id, "Department", "id"),
            version=input.version,
            given=_department(input),
        ),
    )


@strawberry.type
class EmployeeMutations:
    employee_create = mutation(
        EmployeeCreateInput,
        Employee,
        "Hire an employee.",
        lambda input, session, journal: employees.create(
            session=session, journal=journal, given=_values(input)
        ),
    )
    employee_update = mutation(
        EmployeeUpdateInput,
        Employee,
        "Change an employee's details, salary, manager or status.",
        lambda input, session, journal: employees.update(
            session=session,
            journal=journal,
            employee_id=decode(input.id, "Employee", "id"),
            version=input.version,
            given=_values(input),
        ),
    )
