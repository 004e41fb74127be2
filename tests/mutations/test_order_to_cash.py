"""An order from placing to payment: stock, statuses and money at every step."""

import asyncpg

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, place

CONFIRM = f"""mutation($id: ID!) {{ salesOrderConfirm(input: {{id: $id}}) {{
  salesOrder {{ status version }} {ERRORS} }} }}"""
SHIP = f"""mutation($input: DeliveryCreateInput!) {{ deliveryCreate(input: $input) {{
  delivery {{ id number status lines {{ quantity }} salesOrder {{ deliveryStatus }} }} {ERRORS} }} }}"""
DELIVERED = f"""mutation($id: ID!) {{ deliveryMarkDelivered(input: {{id: $id}}) {{
  delivery {{ status salesOrder {{ status deliveryStatus }} }} {ERRORS} }} }}"""
FAILED = f"""mutation($id: ID!) {{ deliveryMarkFailed(input: {{id: $id, reason: "Address unknown"}}) {{
  delivery {{ status failureReason }} {ERRORS} }} }}"""
INVOICE = f"""mutation($input: InvoiceIssueInput!) {{ invoiceIssue(input: $input) {{
  invoice {{ id number status subtotal taxTotal total amountDue }} {ERRORS} }} }}"""
PAY = f"""mutation($input: PaymentRecordInput!) {{ paymentRecord(input: $input) {{
  payment {{ amount invoice {{ status amountPaid amountDue }} }} {ERRORS} }} }}"""
ITEM = """query($id: ID!) { node(id: $id) { ... on StockItem { onHand reserved available } } }"""


async def stock(execute: Execute, item: str) -> tuple[int, int]:
    node = (await execute(ITEM, {"id": item}))["node"]
    return node["onHand"], node["reserved"]


async def test_order_to_cash(execute: Execute, world: World, db: asyncpg.Connection) -> None:
    customer = await create_customer(execute, tier="GOLD", country="DE")
    item = await create_item(execute, world, sku="PUMP-1", price="100.00", stock=20)

    placed = await place(execute, world, customer["id"], [(item, 4)])
    assert placed["errors"] == []
    order = placed["salesOrder"]
    # Gold: 10 % off list; 19 % German VAT on the discounted net.
    assert (order["status"], order["subtotal"], order["taxTotal"], order["total"]) == (
        "PLACED",
        "360.00",
        "68.40",
        "428.40",
    )
    assert await stock(execute, item) == (20, 4)

    confirmed = (await execute(CONFIRM, {"id": order["id"]}))["salesOrderConfirm"]
    assert confirmed["salesOrder"]["status"] == "CONFIRMED"
    assert await stock(execute, item) == (20, 4)  # a placed order already held its stock

    line = order["lines"][0]["id"]
    first = (
        await execute(
            SHIP,
            {
                "input": {
                    "salesOrder": order["id"],
                    "lines": [{"orderLine": line, "quantity": 3}],
                    "carrier": "DHL",
                }
            },
        )
    )["deliveryCreate"]
    assert first["errors"] == []
    assert first["delivery"]["salesOrder"]["deliveryStatus"] == "PARTIALLY_SHIPPED"
    assert await stock(execute, item) == (17, 1)

    failed = (await execute(FAILED, {"id": first["delivery"]["id"]}))["deliveryMarkFailed"]
    assert failed["delivery"]["status"] == "FAILED"
    assert await stock(execute, item) == (20, 4)  # back on the shelf, held for the order

    rest = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
    assert [line["quantity"] for line in rest["delivery"]["lines"]] == [4]
    assert await stock(execute, item) == (16, 0)
    arrived = (await execute(DELIVERED, {"id": rest["delivery"]["id"]}))["deliveryMarkDelivered"]
    assert arrived["delivery"]["salesOrder"] == {
        "status": "FULFILLED",
        "deliveryStatus": "DELIVERED",
    }

    invoice = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"]
    assert invoice["errors"] == []
    billed = invoice["invoice"]
    assert (billed["subtotal"], billed["taxTotal"], billed["total"], billed["amountDue"]) == (
        "360.00",
        "68.40",
        "428.40",
        "428.40",
    )
    again = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"]
    assert again["errors"][0]["code"] == "NOTHING_TO_INVOICE"

    part = (await execute(PAY, {"input": {"invoice": billed["id"], "amount": "400.00"}}))[
        "paymentRecord"
    ]
    assert part["payment"]["invoice"] == {
        "status": "PARTIALLY_PAID",
        "amountPaid": "400.00",
        "amountDue": "28.40",
    }
    too_much = (await execute(PAY, {"input": {"invoice": billed["id"], "amount": "28.41"}}))[
        "paymentRecord"
    ]
    assert too_much["errors"] == [
        {
            "field": "amount",
            "message": f"only 28.40 EUR is due on {billed['number']}",
            "code": "OVERPAYMENT",
        }
    ]
    settled = (await execute(PAY, {"input": {"invoice": billed["id"], "amount": "28.40"}}))[
        "paymentRecord"
    ]
    assert settled["payment"]["invoice"]["status"] == "PAID"

    ledger = await db.fetch(
        "SELECT kind, sum(delta_on_hand) AS on_hand, sum(delta_reserved) AS reserved "
        "FROM erp.stock_movement GROUP BY kind ORDER BY kind"
    )
    assert [(r["kind"], r["on_hand"], r["reserved"]) for r in ledger] == [
        ("adjustment", 20, 0),
        ("reservation", 0, 4),
        ("return", 3, 3),
        ("shipment", -7, -7),
    ]


async def test_cancelling_releases_the_reservation(execute: Execute, world: World) -> None:
    customer = await create_customer(execute)
    item = await create_item(execute, world, sku="BOLT-9", price="2.50", stock=50)
    order = (await place(execute, world, customer["id"], [(item, 30)]))["salesOrder"]
    assert await stock(execute, item) == (50, 30)
    cancel = f"""mutation($id: ID!) {{ salesOrderCancel(input: {{id: $id, reason: "Changed mind"}}) {{
      salesOrder {{ status }} {ERRORS} }} }}"""
    result = (await execute(cancel, {"id": order["id"]}))["salesOrderCancel"]
    assert result["salesOrder"]["status"] == "CANCELLED"
    assert await stock(execute, item) == (50, 0)
    twice = (await execute(cancel, {"id": order["id"]}))["salesOrderCancel"]
    assert twice["errors"] == [
        {
            "field": None,
            "message": "cannot cancel a sales order that is cancelled",
            "code": "INVALID_TRANSITION",
        }
    ]


async def test_insufficient_stock_names_the_sku_and_what_is_left(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute)
    scarce = await create_item(execute, world, sku="RARE-1", price="10.00", stock=3)
    plenty = await create_item(execute, world, sku="COMMON-1", price="1.00", stock=100)
    result = await place(execute, world, customer["id"], [(plenty, 5), (scarce, 4)])
    assert result["salesOrder"] is None
    assert result["errors"] == [
        {
            "field": "lines.1.quantity",
            "message": "only 3 of RARE-1 available (asked for 4)",
            "code": "INSUFFICIENT_STOCK",
        }
    ]
    assert await stock(execute, plenty) == (100, 0)  # the first line's reservation rolled back
