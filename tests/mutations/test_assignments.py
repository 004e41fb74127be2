"""Whom a role may name as responsible for a record: `ASSIGNMENTS` of the permission table.

Regression tests of the security issue's finding W3 (a sales rep named an HR clerk as an
order's sales rep, an interaction's employee and a deal's owner; marketing made anyone a
campaign owner), run for every mutation that names an employee.
"""

import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from graphql import GraphQLInputObjectType, get_named_type

from domain.core.access import ROLES, Viewer
from domain.core.permissions import ASSIGNMENTS, PERMISSIONS, can_write_field
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import create_customer, create_item, place

Gid = World.gid
UNIQUE = itertools.count(1)  # SKUs and emails must not repeat within a test


@dataclass(frozen=True)
class Staff:
    """Employees beside the world's: (id, department codes up the hierarchy)."""

    people: list[tuple[int, set[str]]]
    hr_clerk: int


@pytest.fixture
async def staff(world: World, db: asyncpg.Connection) -> Staff:
    sales = await db.fetchval("SELECT id FROM erp.department WHERE code = 'SALES'")
    codes = {"SALES": sales}
    for code, name, parent in (
        ("SALES-N", "Sales North", sales),
        ("MKT", "Marketing", None),
        ("SUP", "Customer Support", None),
        ("HR", "People", None),
    ):
        codes[code] = await db.fetchval(
            "INSERT INTO erp.department (code, name, parent_id) VALUES ($1, $2, $3) RETURNING id",
            code,
            name,
            parent,
        )
    people = []
    for name, code, chain in (
        ("Nora North", "SALES-N", {"SALES-N", "SALES"}),
        ("Mia Marketing", "MKT", {"MKT"}),
        ("Sue Support", "SUP", {"SUP"}),
        ("Hal Clerk", "HR", {"HR"}),
    ):
        key = await db.fetchval(
            "INSERT INTO erp.employee (name, email, title, hire_date, salary, department_id) "
            "VALUES ($1, $2, 'Staff', '2022-01-01', 40000, $3) RETURNING id",
            name,
            f"{name.split()[0].lower()}@example.com",
            codes[code],
        )
        people.append((key, chain))
    return Staff(people=[*people, (world.other_rep_employee, {"SALES"})], hr_clerk=people[-1][0])


Build = Callable[[Execute, World, str], Awaitable[dict[str, Any]]]


async def _customer(execute: Execute, world: World) -> dict[str, Any]:
    return await create_customer(execute, accountManager=Gid("Employee", world.rep_employee))


async def _order(execute: Execute, world: World) -> dict[str, Any]:
    customer = await _customer(execute, world)
    item = await create_item(execute, world, sku=f"A-{next(UNIQUE)}", price="5.00", stock=5)
    payload = await place(execute, world, customer["id"], [(item, 1)])
    return payload["salesOrder"]  # type: ignore[no-any-return]


async def _customer_update(execute: Execute, world: World, who: str) -> dict[str, Any]:
    customer = await _customer(execute, world)
    return {"id": customer["id"], "version": customer["version"], "accountManager": who}


async def _order_place(execute: Execute, world: World, who: str) -> dict[str, Any]:
    customer = await _customer(execute, world)
    item = await create_item(execute, world, sku=f"P-{next(UNIQUE)}", price="5.00", stock=5)
    lines = [{"stockItem": item, "quantity": 1}]
    return {"customer": customer["id"], "lines": lines, "salesRep": who}


async def _order_update(execute: Execute, world: World, who: str) -> dict[str, Any]:
    order = await _order(execute, world)
    return {"id": order["id"], "version": order["version"], "salesRep": who}


async def _for_customer(execute: Execute, world: World, extra: dict[str, Any]) -> dict[str, Any]:
    return {"customer": (await _customer(execute, world))["id"], **extra}


async def _employee_update(execute: Execute, world: World, who: str) -> dict[str, Any]:
    hire = await BUILDERS["employeeCreate"](
        execute, world, Gid("Employee", world.admin.employee_id or 0)
    )
    created = await execute(
        "mutation($input: EmployeeCreateInput!) { employeeCreate(input: $input) { "
        "employee { id version } errors { code } } }",
        {"input": hire},
    )
    employee = created["employeeCreate"]["employee"]
    return {"id": employee["id"], "version": employee["version"], "manager": who}


async def _ticket_assign(execute: Execute, world: World, who: str) -> dict[str, Any]:
    opened = await execute(
        "mutation($input: TicketOpenInput!) { ticketOpen(input: $input) { "
        "ticket { id } errors { code } } }",
        {"input": await _for_customer(execute, world, {"subject": "Slow", "category": "QUESTION"})},
    )
    return {"id": opened["ticketOpen"]["ticket"]["id"], "assignee": who}


async def _campaign_update(execute: Execute, world: World, who: str) -> dict[str, Any]:
    created = await execute(
        'mutation { campaignCreate(input: {name: "Reassigned", channel: EMAIL, '
        'budget: "10.00", startsOn: "2026-01-01"}) { campaign { id version } errors { code } } }'
    )
    campaign = created["campaignCreate"]["campaign"]
    return {"id": campaign["id"], "version": campaign["version"], "owner": who}


BUILDERS: dict[str, Build] = {
    "customerCreate": lambda execute, world, who: _constant(
        {"name": "Assigned", "accountManager": who}
    ),
    "customerUpdate": _customer_update,
    "salesOrderPlace": _order_place,
    # A quote names its sales rep as the order it may become does.
    "quoteCreate": _order_place,
    "salesOrderUpdate": _order_update,
    "opportunityCreate": lambda execute, world, who: _for_customer(
        execute, world, {"name": "Deal", "amount": "100.00", "owner": who}
    ),
    "interactionLog": lambda execute, world, who: _for_customer(
        execute, world, {"channel": "PHONE", "subject": "Call", "employee": who}
    ),
    "ticketOpen": lambda execute, world, who: _for_customer(
        execute, world, {"subject": "Broken", "category": "COMPLAINT", "assignee": who}
    ),
    "ticketAssign": _ticket_assign,
    "campaignUpdate": _campaign_update,
    "campaignCreate": lambda execute, world, who: _constant(
        {"name": "Promo", "channel": "EMAIL", "budget": "10.00", "startsOn": "2026-01-01"}
        | {"owner": who}
    ),
    "employeeCreate": lambda execute, world, who: _constant(
        {"name": "New Hire", "email": f"hire{next(UNIQUE)}@example.com", "title": "Clerk"}
        | {"salary": "30000.00", "manager": who}
    ),
    "employeeUpdate": _employee_update,
}


async def _constant(value: dict[str, Any]) -> dict[str, Any]:
    return value


def _setters(schema: Any) -> dict[str, tuple[str, str, str]]:
    """Every mutation whose input names an employee it assigns: (type, field, input name)."""
    found = {}
    mutations = schema._schema.mutation_type.fields
    for name, field in mutations.items():
        input_type = get_named_type(field.args["input"].type)
        assert isinstance(input_type, GraphQLInputObjectType)
        payload = get_named_type(field.type)
        entity = next(f for f in payload.fields if f != "errors")
        written = get_named_type(payload.fields[entity].type).name
        for input_field in input_type.fields:
            if (written, input_field) in ASSIGNMENTS:
                found[name] = (written, input_field, input_type.name)
    return found


def _viewer(world: World, role: str) -> Viewer:
    return Viewer(world.rep_employee, "sam@example.com", frozenset({role}))


async def _attempt(
    execute: Execute, world: World, mutation: str, input_name: str, who: int, role: str
) -> list[tuple[str | None, str]]:
    data = await BUILDERS[mutation](execute, world, Gid("Employee", who))
    document = (
        f"mutation($input: {input_name}!) {{ {mutation}(input: $input) "
        "{ errors { field code } } }"
    )
    result = await execute(document, {"input": data}, viewer=_viewer(world, role))
    return [(error["field"], error["code"]) for error in result[mutation]["errors"]]


async def test_every_employee_a_mutation_names_is_checked_against_the_table(
    schema: Any, execute: Execute, world: World, staff: Staff
) -> None:
    setters = _setters(schema)
    assert set(BUILDERS) == set(setters)
    assert {(t, f) for t, f, _ in setters.values()} == set(ASSIGNMENTS)
    for mutation, (type_name, field, input_name) in setters.items():
        rule = ASSIGNMENTS[(type_name, field)]
        writers = [role for role in ROLES if role in PERMISSIONS[type_name].write]
        assigner = next(role for role in writers if role in rule.assigners and role != "admin")
        eligible = [
            key
            for key, chain in staff.people
            if rule.departments is None or chain & rule.departments
        ]
        ineligible = [key for key, chain in staff.people if key not in eligible]
        case = (mutation, field)
        # Anyone who may run the mutation (and set the field) may take the work themselves.
        for role in writers:
            if not can_write_field(_viewer(world, role), type_name, field):
                continue
            taken = await _attempt(execute, world, mutation, input_name, world.rep_employee, role)
            assert taken == [], (*case, role)
        # Naming someone else takes an assigner; others are refused whoever they name.
        for role in writers:
            if role in rule.assigners:
                continue
            for colleague in (eligible[0], staff.hr_clerk):
                refused = await _attempt(execute, world, mutation, input_name, colleague, role)
                assert refused == [(field, "FORBIDDEN")], (*case, role, colleague)
        # An assigner may name anyone who does that work (in a department under it, too) …
        named = await _attempt(execute, world, mutation, input_name, eligible[0], assigner)
        assert named == [], case
        # … but not someone of another department (an HR clerk as sales rep), nor a leaver.
        for colleague in ineligible[:1]:
            refused = await _attempt(execute, world, mutation, input_name, colleague, assigner)
            assert refused == [(field, "VALIDATION")], (*case, colleague)
        left = await _attempt(execute, world, mutation, input_name, world.leaver_employee, assigner)
        assert left == [(field, "VALIDATION")], case


async def test_the_reported_assignments_are_refused(
    execute: Execute, world: World, staff: Staff, db: asyncpg.Connection
) -> None:
    """W3 as reported: an HR clerk as a rep's order sales rep, interaction employee and deal
    owner; marketing making anyone (the HR clerk) a campaign owner."""
    clerk = staff.hr_clerk
    for mutation, input_name in (
        ("salesOrderPlace", "SalesOrderPlaceInput"),
        ("interactionLog", "InteractionLogInput"),
        ("opportunityCreate", "OpportunityCreateInput"),
    ):
        codes = await _attempt(execute, world, mutation, input_name, clerk, "sales_rep")
        assert [code for _, code in codes] == ["FORBIDDEN"], mutation
    codes = await _attempt(
        execute, world, "campaignCreate", "CampaignCreateInput", clerk, "marketing"
    )
    assert codes == [("owner", "VALIDATION")]
    assigned = await db.fetchval(
        "SELECT count(*) FROM (SELECT sales_rep_id AS e FROM erp.sales_order UNION ALL "
        "SELECT employee_id FROM crm.interaction UNION ALL SELECT owner_id FROM crm.opportunity "
        "UNION ALL SELECT owner_id FROM crm.campaign) named WHERE e = $1",
        clerk,
    )
    assert assigned == 0
