"""Archiving: out of lists, still there for what refers to it, used for nothing new, back on
restore."""

import asyncpg
import pytest

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, place

CUSTOMERS = """query($all: Boolean) { customers(first: 50, filter: {includeArchived: $all}) {
  edges { node { name archivedAt } } } }"""


def archive(kind: str, action: str = "Archive") -> str:
    node = kind[0].lower() + kind[1:]
    operation = f"{node}{action}"
    return f"""mutation($id: ID!, $v: Int!) {{ {operation}(input: {{id: $id, version: $v}}) {{
      {node} {{ id version archivedAt }} {ERRORS} }} }}"""


async def names(execute: Execute, include_archived: bool | None = None) -> list[str]:
    result = await execute(CUSTOMERS, {"all": include_archived})
    return [edge["node"]["name"] for edge in result["customers"]["edges"]]


async def test_an_archived_customer_leaves_the_lists_and_comes_back_on_restore(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    kept = await create_customer(execute, name="Kept AG")
    gone = await create_customer(execute, name="Gone AG")
    archived = (await execute(archive("Customer"), {"id": gone["id"], "v": gone["version"]}))[
        "customerArchive"
    ]
    assert archived["errors"] == []
    assert archived["customer"]["version"] == gone["version"] + 1
    assert archived["customer"]["archivedAt"] is not None
    assert await names(execute) == ["Kept AG"]
    assert await names(execute, include_archived=True) == ["Gone AG", "Kept AG"]
    # Still itself when asked for by its ID.
    node = await execute(
        "query($id: ID!) { node(id: $id) { ... on Customer { name archivedAt } } }",
        {"id": gone["id"]},
    )
    assert node["node"] == {"name": "Gone AG", "archivedAt": archived["customer"]["archivedAt"]}
    # Archiving what is archived changes nothing; a stale version is a conflict.
    again = (
        await execute(archive("Customer"), {"id": gone["id"], "v": archived["customer"]["version"]})
    )["customerArchive"]
    assert again["customer"] == archived["customer"]
    stale = (await execute(archive("Customer"), {"id": kept["id"], "v": 99}))["customerArchive"]
    assert [e["code"] for e in stale["errors"]] == ["CONFLICT"]
    restored = (
        await execute(
            archive("Customer", "Restore"),
            {"id": gone["id"], "v": archived["customer"]["version"]},
        )
    )["customerRestore"]
    assert (restored["errors"], restored["customer"]["archivedAt"]) == ([], None)
    assert await names(execute) == ["Gone AG", "Kept AG"]
    actions = await db.fetch(
        "SELECT action FROM ops.audit_log WHERE action LIKE 'customer.%ed' "
        "AND action <> 'customer.created' ORDER BY id"
    )
    assert [row["action"] for row in actions] == ["customer.archived", "customer.restored"]


async def test_an_archived_contact_leaves_its_customers_list_of_contacts(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute)
    create = f"""mutation($c: ID!, $n: String!) {{ contactCreate(input: {{customer: $c,
        firstName: $n, lastName: "Doe"}}) {{ contact {{ id version }} {ERRORS} }} }}"""
    contacts = [
        (await execute(create, {"c": customer["id"], "n": name}))["contactCreate"]["contact"]
        for name in ("Ann", "Bob")
    ]
    done = await execute(archive("Contact"), {"id": contacts[0]["id"], "v": contacts[0]["version"]})
    assert done["contactArchive"]["errors"] == []
    listed = await execute(
        "query($id: ID!) { node(id: $id) { ... on Customer { contacts { firstName } } } }",
        {"id": customer["id"]},
    )
    assert listed["node"]["contacts"] == [{"firstName": "Bob"}]


async def test_nothing_new_may_use_an_archived_record(execute: Execute, world: World) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="ARC-1", price="5.00", stock=10)
    item_version = (
        await execute(
            "query($id: ID!) { node(id: $id) { ... on StockItem { version } } }", {"id": item}
        )
    )["node"]["version"]
    done = await execute(archive("StockItem"), {"id": item, "v": item_version})
    assert done["stockItemArchive"]["errors"] == []
    refused = await place(execute, world, customer["id"], [(item, 1)])
    assert [(e["field"], e["message"]) for e in refused["errors"]] == [
        ("lines.0.stockItem", "ARC-1 is no longer sold")
    ]
    done = await execute(archive("Customer"), {"id": customer["id"], "v": customer["version"]})
    assert done["customerArchive"]["errors"] == []
    other = await create_item(execute, world, sku="ARC-2", price="5.00", stock=10)
    refused = await place(execute, world, customer["id"], [(other, 1)])
    assert [(e["field"], e["message"]) for e in refused["errors"]] == [
        ("customer", "this customer is archived; restore it first")
    ]
    supplier = World.gid("Supplier", world.supplier)
    version = (
        await execute(
            "query($id: ID!) { node(id: $id) { ... on Supplier { version } } }", {"id": supplier}
        )
    )["node"]["version"]
    assert (await execute(archive("Supplier"), {"id": supplier, "v": version}))["supplierArchive"][
        "errors"
    ] == []
    order = f"""mutation($s: ID!, $w: ID!, $i: ID!) {{ purchaseOrderCreate(input: {{supplier: $s,
        warehouse: $w, lines: [{{stockItem: $i, quantity: 3}}]}}) {{ {ERRORS} }} }}"""
    refused_po = await execute(
        order, {"s": supplier, "w": World.gid("Warehouse", world.warehouse), "i": other}
    )
    assert [(e["field"], e["message"]) for e in refused_po["purchaseOrderCreate"]["errors"]] == [
        ("supplier", "this supplier is archived; restore it first")
    ]


@pytest.mark.parametrize(
    ("kind", "role", "code"),
    [("Supplier", "sales_rep", "FORBIDDEN"), ("Department", "sales_manager", "FORBIDDEN")],
)
async def test_only_who_may_change_a_record_may_archive_it(
    kind: str, role: str, code: str, execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    table = {"Supplier": "erp.supplier", "Department": "erp.department"}[kind]
    key, version = await db.fetchrow(f"SELECT id, version FROM {table} ORDER BY id LIMIT 1")
    viewer = Viewer(world.rep_employee, "sam@example.com", frozenset({role}))
    operation = f"{kind[0].lower()}{kind[1:]}Archive"
    document = f"""mutation($id: ID!, $v: Int!) {{
      {operation}(input: {{id: $id, version: $v}}) {{ {ERRORS} }} }}"""
    result = await execute(document, {"id": World.gid(kind, key), "v": version}, viewer=viewer)
    [payload] = result.values()
    assert [e["code"] for e in payload["errors"]] == [code]
    assert await db.fetchval(f"SELECT archived_at FROM {table} WHERE id = $1", key) is None


async def test_a_sales_rep_archives_only_their_own_customers(
    execute: Execute, world: World
) -> None:
    theirs = await create_customer(
        execute, name="Rita's", accountManager=World.gid("Employee", world.other_rep_employee)
    )
    result = await execute(
        archive("Customer"), {"id": theirs["id"], "v": theirs["version"]}, viewer=world.rep
    )
    assert [(e["field"], e["code"]) for e in result["customerArchive"]["errors"]] == [
        ("id", "NOT_FOUND")
    ]


async def test_an_archived_campaign_takes_no_members_and_an_archived_department_no_staff(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute)
    created = await execute(
        'mutation { campaignCreate(input: {name: "Old", channel: EMAIL, budget: "10.00", '
        'startsOn: "2026-01-01"}) { campaign { id version } errors { code } } }'
    )
    campaign = created["campaignCreate"]["campaign"]
    done = await execute(archive("Campaign"), {"id": campaign["id"], "v": campaign["version"]})
    assert done["campaignArchive"]["errors"] == []
    add = f"""mutation($id: ID!, $c: ID!) {{ campaignAddMembers(input: {{campaign: $id, customers: [$c]}})
        {{ {ERRORS} }} }}"""
    refused = await execute(add, {"id": campaign["id"], "c": customer["id"]})
    assert [(e["field"], e["message"]) for e in refused["campaignAddMembers"]["errors"]] == [
        ("campaign", "this campaign is archived; restore it first")
    ]
    key, version = await db.fetchrow("SELECT id, version FROM erp.department WHERE code = 'SALES'")
    department = World.gid("Department", key)
    assert (await execute(archive("Department"), {"id": department, "v": version}))[
        "departmentArchive"
    ]["errors"] == []
    hire = f"""mutation($d: ID!) {{ employeeCreate(input: {{name: "New Hire",
        email: "hire@example.com", title: "Clerk", salary: "30000.00", department: $d}})
        {{ {ERRORS} }} }}"""
    refused = await execute(hire, {"d": department})
    assert [(e["field"], e["message"]) for e in refused["employeeCreate"]["errors"]] == [
        ("department", "this department is archived; restore it first")
    ]
