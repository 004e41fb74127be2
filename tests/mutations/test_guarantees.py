"""Idempotent retries, optimistic concurrency, permissions, and audit + outbox with each change."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import pytest

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import (
    ERRORS,
    ORDER_PLACE,
    STOCK_ADJUST,
    create_customer,
    create_item,
    place,
)

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


PlaceAs = Callable[[Viewer, int, str], Awaitable[dict[str, Any]]]


@pytest.fixture
async def place_as(execute: Execute, world: World) -> PlaceAs:
    """Place an order of some units for a customer of the rep, as anyone, with a key."""
    customer = await create_customer(
        execute, accountManager=World.gid("Employee", world.rep_employee)
    )
    item = await create_item(execute, world, sku="IDEM-P", price="4.00", stock=50)

    async def order(viewer: Viewer, quantity: int, key: str) -> dict[str, Any]:
        lines = [{"stockItem": item, "quantity": quantity}]
        request = {"customer": customer["id"], "lines": lines, "idempotencyKey": key}
        result = await execute(ORDER_PLACE, {"input": request}, viewer=viewer)
        return result["salesOrderPlace"]  # type: ignore[no-any-return]

    return order


def managers(world: World) -> tuple[Viewer, Viewer]:
    sam = Viewer(world.rep_employee, "sam@example.com", frozenset({"sales_manager"}))
    rita = Viewer(world.other_rep_employee, "rita@example.com", frozenset({"sales_manager"}))
    return sam, rita


async def test_a_colleagues_idempotency_key_is_not_yours(
    place_as: PlaceAs, world: World, db: asyncpg.Connection
) -> None:
    """W4: keys were global, so a colleague's key was IDEMPOTENCY_KEY_REUSED for you."""
    sam, rita = managers(world)
    first = await place_as(sam, 1, "order-1")
    theirs = await place_as(rita, 2, "order-1")  # the same key, another person: their own order
    assert theirs["errors"] == [] and theirs["salesOrder"]["id"] != first["salesOrder"]["id"]
    assert await place_as(sam, 1, "order-1") == first  # one's own retry still replays
    assert await place_as(rita, 2, "order-1") == theirs
    assert await db.fetchval("SELECT count(*) FROM erp.sales_order") == 2
    assert await db.fetchval("SELECT count(DISTINCT principal) FROM ops.idempotency_key") == 2


async def test_replaying_a_colleagues_request_never_returns_their_result(
    place_as: PlaceAs, world: World, db: asyncpg.Connection
) -> None:
    """W4: replaying someone else's exact input returned success with their result (null
    where it was not the replayer's to see)."""
    sam, rita = managers(world)
    original = await place_as(sam, 3, "order-2")
    copied = await place_as(rita, 3, "order-2")
    assert original["errors"] == copied["errors"] == []
    assert copied["salesOrder"]["id"] != original["salesOrder"]["id"]
    hidden = await place_as(world.other_rep, 3, "order-3")
    assert hidden["errors"][0]["code"] == "NOT_FOUND"  # not their customer, not their key
    assert (await place_as(sam, 3, "order-3"))["salesOrder"] is not None
    replayed = await place_as(world.other_rep, 3, "order-3")
    assert replayed["salesOrder"] is None
    assert [e["code"] for e in replayed["errors"]] == ["NOT_FOUND"]
    assert await db.fetchval("SELECT count(*) FROM erp.sales_order") == 3


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


async def test_a_retried_stock_adjustment_with_its_key_applies_once(
    execute: Execute, world: World
) -> None:
    """A client that lost the answer retries: the count moves once (18 → 19, not 20)."""
    item = await create_item(execute, world, sku="IDEM-ADJ", price="3.00", stock=18)
    request = {
        "stockItem": item,
        "warehouse": World.gid("Warehouse", world.warehouse),
        "quantity": 1,
        "reason": "Found one",
        "idempotencyKey": "count-2026-12",
    }
    first = (await execute(STOCK_ADJUST, {"input": request}))["stockAdjust"]
    retried = (await execute(STOCK_ADJUST, {"input": request}))["stockAdjust"]
    assert first["stockItem"]["onHand"] == retried["stockItem"]["onHand"] == 19
    other = (await execute(STOCK_ADJUST, {"input": {**request, "quantity": 2}}))["stockAdjust"]
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]


async def test_a_retried_cancellation_answers_with_the_first_result(
    execute: Execute, world: World
) -> None:
    """Without its key a repeated cancel is an invalid transition; with it, the first answer."""
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="IDEM-CXL", price="4.00", stock=5)
    order = await place(execute, world, customer["id"], [(item, 2)])
    cancel = f"""mutation($input: SalesOrderCancelInput!) {{ salesOrderCancel(input: $input) {{
      salesOrder {{ status version }} {ERRORS} }} }}"""
    request = {"id": order["salesOrder"]["id"], "idempotencyKey": "cancel-1"}
    answers = [(await execute(cancel, {"input": request}))["salesOrderCancel"] for _ in range(2)]
    assert answers[0] == answers[1]
    assert answers[0]["errors"] == [] and answers[0]["salesOrder"]["status"] == "CANCELLED"
    unkeyed = await execute(cancel, {"input": {"id": order["salesOrder"]["id"]}})
    assert unkeyed["salesOrderCancel"]["errors"][0]["code"] != "IDEMPOTENCY_KEY_REUSED"
    assert unkeyed["salesOrderCancel"]["salesOrder"] is None
