"""Every business event posts its entry in the same transaction, through whichever surface."""

from decimal import Decimal

import asyncpg

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, adjust, create_customer, create_item, place

SHIP = f"""mutation($input: DeliveryCreateInput!) {{ deliveryCreate(input: $input) {{
  delivery {{ id }} {ERRORS} }} }}"""
DELIVERED = f"""mutation($id: ID!) {{ deliveryMarkDelivered(input: {{id: $id}}) {{
  delivery {{ status }} {ERRORS} }} }}"""
FAILED = f"""mutation($id: ID!) {{ deliveryMarkFailed(input: {{id: $id, reason: "Refused"}}) {{
  delivery {{ status }} {ERRORS} }} }}"""
INVOICE = f"""mutation($input: InvoiceIssueInput!) {{ invoiceIssue(input: $input) {{
  invoice {{ id total }} {ERRORS} }} }}"""
VOID = f"""mutation($input: InvoiceVoidInput!) {{ invoiceVoid(input: $input) {{
  invoice {{ status }} {ERRORS} }} }}"""
PAY = f"""mutation($input: PaymentRecordInput!) {{ paymentRecord(input: $input) {{
  payment {{ amount }} {ERRORS} }} }}"""
ENTRIES = """query($source: String) { journalEntries(first: 50, filter: {sourceType: $source},
  orderBy: {direction: ASC}) { edges { node { number kind event description
  lines { account { code purpose } debit credit } reverses { number } } } } }"""


async def balances(db: asyncpg.Connection) -> dict[str, Decimal]:
    """Debit-positive balance of every account with postings, by purpose."""
    rows = await db.fetch(
        "SELECT a.purpose, sum(l.debit - l.credit) AS balance FROM finance.journal_line l "
        "JOIN finance.account a ON a.id = l.account_id GROUP BY a.purpose"
    )
    return {row["purpose"]: row["balance"] for row in rows if row["balance"]}


async def test_order_to_cash_posts_each_step(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, tier="GOLD", country="DE")
    item = await create_item(execute, world, sku="PUMP-1", price="100.00", stock=20)
    # 20 units counted in at the standard cost of 50.00: a stock gain of 1,000.00.
    assert await balances(db) == {
        "inventory": Decimal("1000.00"),
        "stock_gain": Decimal("-1000.00"),
    }

    order = (await place(execute, world, customer["id"], [(item, 4)]))["salesOrder"]
    shipped = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
    assert shipped["errors"] == []
    failed = (await execute(FAILED, {"id": shipped["delivery"]["id"]}))["deliveryMarkFailed"]
    assert failed["errors"] == []
    again = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
    assert again["errors"] == []
    # Shipped, returned, shipped again: four units at 50.00 have left the shelf.
    assert (await balances(db))["cost_of_goods_sold"] == Decimal("200.00")
    assert (await balances(db))["inventory"] == Decimal("800.00")

    await execute(DELIVERED, {"id": again["delivery"]["id"]})
    invoice = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"]
    assert invoice["errors"] == []
    total = Decimal(invoice["invoice"]["total"])
    paid = (
        await execute(PAY, {"input": {"invoice": invoice["invoice"]["id"], "amount": "100.00"}})
    )["paymentRecord"]
    assert paid["errors"] == []
    books = await balances(db)
    assert books["receivable"] == total - Decimal("100.00")
    assert books["bank"] == Decimal("100.00")
    assert books["revenue"] == Decimal("-360.00")
    assert books["output_vat"] == Decimal("-68.40")
    assert sum(books.values()) == 0

    entries = (await execute(ENTRIES, {"source": "invoice"}))["journalEntries"]["edges"]
    assert [(e["node"]["kind"], e["node"]["event"]) for e in entries] == [
        ("POSTING", "invoice.issued")
    ]
    lines = entries[0]["node"]["lines"]
    assert [(line["account"]["purpose"], line["debit"], line["credit"]) for line in lines] == [
        ("receivable", "428.40", "0.00"),
        ("revenue", "0.00", "360.00"),
        ("output_vat", "0.00", "68.40"),
    ]


async def test_voiding_an_invoice_reverses_its_entry(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, country="DE")
    item = await create_item(execute, world, sku="VALVE-1", price="10.00", stock=5)
    order = (await place(execute, world, customer["id"], [(item, 2)]))["salesOrder"]
    shipped = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
    await execute(DELIVERED, {"id": shipped["delivery"]["id"]})
    invoice = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"]
    voided = (
        await execute(VOID, {"input": {"id": invoice["invoice"]["id"], "reason": "Wrong address"}})
    )["invoiceVoid"]
    assert voided["errors"] == []
    entries = (await execute(ENTRIES, {"source": "invoice"}))["journalEntries"]["edges"]
    issued, reversal = (edge["node"] for edge in entries)
    assert reversal["kind"] == "REVERSAL"
    assert reversal["reverses"] == {"number": issued["number"]}
    assert [(line["debit"], line["credit"]) for line in reversal["lines"]] == [
        (line["credit"], line["debit"]) for line in issued["lines"]
    ]
    books = await balances(db)
    assert "receivable" not in books and "revenue" not in books


async def test_a_stock_loss_is_shrinkage_at_average_cost(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    item = await create_item(execute, world, sku="BOLT-1", price="3.00", stock=10)
    lost = await adjust(execute, world, item, -3)
    assert lost["errors"] == []
    books = await balances(db)
    assert books["shrinkage"] == Decimal("4.50")
    assert books["inventory"] == Decimal("10.50")
    level = await db.fetchrow("SELECT on_hand, stock_value FROM erp.stock_level")
    assert (level["on_hand"], level["stock_value"]) == (7, Decimal("10.50"))
