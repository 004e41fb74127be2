"""Erasing a customer: nothing that identifies its people is left anywhere, the books stay."""

import asyncpg

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, place

ERASE = f"""mutation($id: ID!, $v: Int!) {{ customerErase(input: {{id: $id, version: $v}}) {{
  customer {{ name email phone version archivedAt }} {ERRORS} }} }}"""
# Every table that holds text about a customer or its people, as one text per row.
PLACES = (
    "crm.customer",
    "crm.contact",
    "crm.interaction",
    "crm.ticket",
    "crm.opportunity",
    "ops.audit_log",
    "ops.outbox",
)


async def traces(db: asyncpg.Connection, *words: str) -> dict[str, int]:
    found = {}
    for table in PLACES:
        count = await db.fetchval(
            f"SELECT count(*) FROM {table} t WHERE "
            + " OR ".join(f"t::text ILIKE ${i + 1}" for i in range(len(words))),
            *(f"%{word}%" for word in words),
        )
        if count:
            found[table] = count
    return found


async def test_an_erased_customer_leaves_no_trace_but_its_books(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(
        execute, name="Wilhelmina Quast", email="w.quast@example.com", phone="+49 30 999"
    )
    contact = f"""mutation($c: ID!) {{ contactCreate(input: {{customer: $c, firstName: "Wilhelmina",
        lastName: "Quast", email: "wq@example.com"}}) {{ {ERRORS} }} }}"""
    assert (await execute(contact, {"c": customer["id"]}))["contactCreate"]["errors"] == []
    log = f"""mutation($c: ID!) {{ interactionLog(input: {{customer: $c, channel: PHONE,
        subject: "Call with Wilhelmina Quast", notes: "Quast wants a discount"}}) {{ {ERRORS} }} }}"""
    assert (await execute(log, {"c": customer["id"]}))["interactionLog"]["errors"] == []
    ticket = f"""mutation($c: ID!) {{ ticketOpen(input: {{customer: $c, category: COMPLAINT,
        subject: "Quast: broken", description: "Wilhelmina Quast reports a broken pump"}})
        {{ {ERRORS} }} }}"""
    assert (await execute(ticket, {"c": customer["id"]}))["ticketOpen"]["errors"] == []
    item = await create_item(execute, world, sku="ER-1", price="10.00", stock=5)
    order = (await place(execute, world, customer["id"], [(item, 2)]))["salesOrder"]
    assert await traces(db, "Quast") != {}
    # Events the workers delivered lose their payload; undelivered ones keep it until then.
    await db.execute("UPDATE ops.outbox SET processed_at = now()")
    version = await db.fetchval("SELECT version FROM crm.customer")

    erased = (await execute(ERASE, {"id": customer["id"], "v": version}))["customerErase"]
    assert erased["errors"] == []
    code = await db.fetchval("SELECT code FROM crm.customer")
    assert erased["customer"]["name"] == f"Erased customer {code}"
    assert (erased["customer"]["email"], erased["customer"]["phone"]) == (None, None)
    assert erased["customer"]["archivedAt"] is not None
    assert await traces(db, "Quast", "Wilhelmina", "w.quast", "wq@example", "+49 30 999") == {}
    # The books stay, under the pseudonym.
    assert (
        await db.fetchval(
            "SELECT o.total::text FROM erp.sales_order o JOIN crm.customer c ON c.id = o.customer_id "
            "WHERE o.number = $1",
            order["number"],
        )
        == order["total"]
    )
    again = (await execute(ERASE, {"id": customer["id"], "v": erased["customer"]["version"]}))[
        "customerErase"
    ]
    assert again["customer"] == erased["customer"]
    assert (
        await db.fetchval("SELECT count(*) FROM ops.audit_log WHERE action = 'customer.erased'")
        == 1
    )
    restore = f"""mutation($id: ID!, $v: Int!) {{ customerRestore(input: {{id: $id, version: $v}})
        {{ {ERRORS} }} }}"""
    refused = await execute(restore, {"id": customer["id"], "v": erased["customer"]["version"]})
    assert refused["customerRestore"]["errors"] == [
        {"field": "id", "message": "an erased customer stays archived", "code": "VALIDATION"}
    ]


async def test_only_an_admin_erases(execute: Execute, world: World, db: asyncpg.Connection) -> None:
    customer = await create_customer(execute, name="Kept Person")
    viewer = Viewer(world.rep_employee, "sam@example.com", frozenset({"sales_manager"}))
    refused = await execute(
        f"""mutation($id: ID!, $v: Int!) {{ customerErase(input: {{id: $id, version: $v}})
        {{ {ERRORS} }} }}""",
        {"id": customer["id"], "v": customer["version"]},
        viewer=viewer,
    )
    assert [e["code"] for e in refused["customerErase"]["errors"]] == ["FORBIDDEN"]
    assert await db.fetchval("SELECT name FROM crm.customer") == "Kept Person"
