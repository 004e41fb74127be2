"""Idempotent retries, optimistic concurrency, permissions, and audit + outbox with each change."""

import asyncio

import asyncpg

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import ERRORS, ORDER_PLACE, create_customer, create_item, place

PAY = f"""mutation($input: PaymentRecordInput!) {{ paymentRecord(input: $input) {{
  payment {{ id number amount }} {ERRORS} }} }}"""
CUSTOMER_UPDATE = f"""mutation($input: CustomerUpdateInput!) {{ customerUpdate(input: $input) {{
  customer {{ name version }} {ERRORS} }} }}"""
EMPLOYEE_UPDATE = f"""mutation($input: EmployeeUpdateInput!) {{ employeeUpdate(input: $input) {{
  employee {{ title version }} {ERRORS} }} }}"""
ORDER_UPDATE = f"""mutation($input: SalesOrderUpdateInput!) {{ salesOrderUpdate(input: $input) {{
  salesOrder {{ notes version }} {ERRORS} }} }}"""
INVOICE = f"""mutation($input: InvoiceIssueInput!) {{ invoiceIssue(input: $input) {{
  invoice {{ id number total }} {ERRORS} }} }}"""


async def test_replaying_an_order_returns_the_first_result_and_writes_once(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="IDEM-1", price="7.00", stock=10)
    lines = [(item, 2)]
    first = await place(execute, world, customer["id"], lines, idempotencyKey="order-42")
    counts = await row_counts(db)
    replay = await place(execute, world, customer["id"], lines, idempotencyKey="order-42")
    assert replay == first
    assert await row_counts(db) == counts
    changed = await place(execute, world, customer["id"], [(item, 3)], idempotencyKey="order-42")
    assert changed["errors"] == [
        {
            "field": "idempotencyKey",
            "message": "this idempotency key was used for a different request",
            "code": "IDEMPOTENCY_KEY_REUSED",
        }
    ]
    assert await row_counts(db) == counts


async def test_concurrent_retries_of_a_payment_pay_once(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="IDEM-2", price="50.00", stock=5)
    order = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    await execute(
        "mutation($id: ID!) { salesOrderConfirm(input: {id: $id}) { errors { code } } }",
        {"id": order["id"]},
    )
    invoice = (
        await execute(
            INVOICE,
            {"input": {"salesOrder": order["id"], "basis": "ORDERED", "idempotencyKey": "i1"}},
        )
    )["invoiceIssue"]["invoice"]
    pay = {"input": {"invoice": invoice["id"], "amount": "20.00", "idempotencyKey": "pay-1"}}
    results = await asyncio.gather(*(execute(PAY, pay) for _ in range(5)))
    assert len({result["paymentRecord"]["payment"]["id"] for result in results}) == 1
    assert await db.fetchval("SELECT count(*) FROM erp.payment") == 1
    replayed_invoice = (
        await execute(
            INVOICE,
            {"input": {"salesOrder": order["id"], "basis": "ORDERED", "idempotencyKey": "i1"}},
        )
    )["invoiceIssue"]
    assert replayed_invoice == {"invoice": invoice, "errors": []}


async def test_stale_versions_are_conflicts(execute: Execute, world: World) -> None:
    customer = await create_customer(execute)
    ok = (
        await execute(
            CUSTOMER_UPDATE, {"input": {"id": customer["id"], "version": 1, "name": "Renamed"}}
        )
    )["customerUpdate"]
    assert ok["customer"] == {"name": "Renamed", "version": 2}
    stale = (
        await execute(
            CUSTOMER_UPDATE, {"input": {"id": customer["id"], "version": 1, "name": "Lost update"}}
        )
    )["customerUpdate"]
    assert stale["customer"] is None
    assert stale["errors"][0]["code"] == "CONFLICT"

    employee = World.gid("Employee", world.rep_employee)
    assert (
        await execute(EMPLOYEE_UPDATE, {"input": {"id": employee, "version": 7, "title": "Boss"}})
    )["employeeUpdate"]["errors"][0]["code"] == "CONFLICT"

    item = await create_item(execute, world, sku="VER-1", price="1.00", stock=5)
    order = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    edit = {"id": order["id"], "version": order["version"], "notes": "Ring twice"}
    assert (await execute(ORDER_UPDATE, {"input": edit}))["salesOrderUpdate"]["salesOrder"] == {
        "notes": "Ring twice",
        "version": order["version"] + 1,
    }
    again = (await execute(ORDER_UPDATE, {"input": edit}))["salesOrderUpdate"]
    assert again["errors"][0]["code"] == "CONFLICT"


async def test_a_forbidden_mutation_is_a_payload_error_and_writes_nothing(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute)
    support = Viewer(world.rep_employee, "sam@example.com", frozenset({"support"}))
    before = await row_counts(db)
    result = await execute(
        ORDER_PLACE,
        {"input": {"customer": customer["id"], "lines": []}},
        viewer=support,
    )
    assert result["salesOrderPlace"] == {
        "salesOrder": None,
        "errors": [
            {
                "field": None,
                "message": "your roles may not change a SalesOrder",
                "code": "FORBIDDEN",
            }
        ],
    }
    assert await row_counts(db) == before


async def test_a_sales_rep_changes_only_their_own_customers(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    mine = await create_customer(execute, name="Mine")
    theirs = await create_customer(execute, name="Theirs")
    assign = {"accountManager": World.gid("Employee", world.rep_employee)}
    await execute(CUSTOMER_UPDATE, {"input": {"id": mine["id"], "version": 1, **assign}})
    other = {"accountManager": World.gid("Employee", world.other_rep_employee)}
    await execute(CUSTOMER_UPDATE, {"input": {"id": theirs["id"], "version": 1, **other}})

    own = (
        await execute(
            CUSTOMER_UPDATE,
            {"input": {"id": mine["id"], "version": 2, "phone": "+49 30 1"}},
            viewer=world.rep,
        )
    )["customerUpdate"]
    assert own["errors"] == []
    foreign = (
        await execute(
            CUSTOMER_UPDATE,
            {"input": {"id": theirs["id"], "version": 2, "phone": "+49 30 2"}},
            viewer=world.rep,
        )
    )["customerUpdate"]
    # Someone else's customer is not forbidden but invisible: it does not exist for this rep.
    assert foreign["errors"] == [
        {"field": "id", "message": "customer does not exist", "code": "NOT_FOUND"}
    ]
    created = (
        await execute(
            """mutation { customerCreate(input: {name: "New lead"}) {
                customer { accountManager { email } } errors { code } } }""",
            viewer=world.rep,
        )
    )["customerCreate"]
    assert created["customer"]["accountManager"]["email"] == "sam@example.com"
    handover = (
        await execute(
            CUSTOMER_UPDATE, {"input": {"id": mine["id"], "version": 3, **other}}, viewer=world.rep
        )
    )["customerUpdate"]
    assert handover["errors"][0]["code"] == "FORBIDDEN"


async def test_each_change_writes_its_audit_row_and_outbox_event(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="AUD-1", price="3.00", stock=4)
    order = (await place(execute, world, customer["id"], [(item, 2)]))["salesOrder"]
    audit = await db.fetch(
        "SELECT action, entity_type, actor, request_id IS NOT NULL AS has_request FROM ops.audit_log ORDER BY id"
    )
    assert [(row["action"], row["entity_type"]) for row in audit] == [
        ("customer.created", "customer"),
        ("stock_item.created", "stock_item"),
        ("stock.adjusted", "stock_item"),
        ("customer.updated", "customer"),
        ("sales_order.placed", "sales_order"),
    ]
    assert {row["actor"] for row in audit} == {"ada@example.com"}
    assert all(row["has_request"] for row in audit)
    events = await db.fetch("SELECT topic, customer_id, aggregate_id FROM ops.outbox ORDER BY id")
    assert [row["topic"] for row in events] == [row["action"] for row in audit]
    placed = events[-1]
    assert placed["aggregate_id"] == await db.fetchval(
        "SELECT id FROM erp.sales_order WHERE number = $1", order["number"]
    )
    assert placed["customer_id"] == await db.fetchval(
        "SELECT customer_id FROM erp.sales_order WHERE number = $1", order["number"]
    )
