"""Books posted in bulk (the demo's) are the books the posting rules would have written."""

from typing import Any

import asyncpg

from domain.finance import bulk_books
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, adjust, create_customer, create_item, place
from tests.mutations.test_credit_notes import REFUND, RETURN, credit
from tests.mutations.test_ledger_postings import DELIVERED, FAILED, INVOICE, PAY, SHIP, VOID
from tests.mutations.test_supplier_bills import VOID as BILL_VOID
from tests.mutations.test_supplier_bills import pay as pay_supplier
from tests.mutations.test_supplier_bills import record

PURCHASE = f"""mutation($s: ID!, $w: ID!, $i: ID!) {{ purchaseOrderCreate(input: {{supplier: $s,
  warehouse: $w, lines: [{{stockItem: $i, quantity: 30, unitCost: "3.25"}}]}}) {{
  purchaseOrder {{ id }} {ERRORS} }} }}"""
RECEIVE = f"""mutation($id: ID!, $item: ID!, $qty: Int!) {{ purchaseOrderReceive(input: {{id: $id,
  lines: [{{stockItem: $item, quantity: $qty}}]}}) {{ purchaseOrder {{ status }} {ERRORS} }} }}"""

# Everything an entry says, with database ids of entries replaced by what they are about.
LEDGER = """
SELECT j.code, e.kind, e.entry_date, e.document_date,
       CASE WHEN e.reverses_id IS NULL THEN e.description END AS description,
       e.event, e.source_type, e.source_id, r.event AS reverses_event,
       array_agg(ROW(a.code, l.debit, l.credit, l.currency, l.amount_currency, l.customer_id,
                     l.supplier_id, l.invoice_id, l.supplier_bill_id)::text ORDER BY l.line_no)
         AS lines
FROM finance.journal_entry e
JOIN finance.journal j ON j.id = e.journal_id
JOIN finance.journal_line l ON l.entry_id = e.id
JOIN finance.account a ON a.id = l.account_id
LEFT JOIN finance.journal_entry r ON r.id = e.reverses_id
GROUP BY e.id, j.code, r.event"""


async def ledger(db: asyncpg.Connection) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in await db.fetch(LEDGER))


async def test_bulk_posting_writes_the_entries_the_rules_wrote(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    bolts = await create_item(execute, world, sku="BOLT", price="4.00", stock=40)
    pumps = await create_item(execute, world, sku="PUMP", price="120.00", stock=6)
    await adjust(execute, world, bolts, -3)
    purchase = (
        await execute(
            PURCHASE,
            {
                "s": World.gid("Supplier", world.supplier),
                "w": World.gid("Warehouse", world.warehouse),
                "i": bolts,
            },
        )
    )["purchaseOrderCreate"]["purchaseOrder"]
    for quantity in (10, 20):
        received = await execute(RECEIVE, {"id": purchase["id"], "item": bolts, "qty": quantity})
        assert received["purchaseOrderReceive"]["errors"] == []
    # Billed at the wrong price, voided, billed again dearer than the order; paid in part.
    wrong = await record(execute, purchase["id"], bolts, 30, unitPrice="9.99", taxRate="0.19")
    assert (await execute(BILL_VOID, {"id": wrong["supplierBill"]["id"]}))["supplierBillVoid"][
        "errors"
    ] == []
    bill = await record(execute, purchase["id"], bolts, 30, unitPrice="3.40", taxRate="0.19")
    assert bill["errors"] == []
    assert (await pay_supplier(execute, bill["supplierBill"]["id"], "50.00"))["errors"] == []

    for tier, units in (("GOLD", 5), ("BRONZE", 2)):
        customer = await create_customer(execute, tier=tier, country="DE")
        order = (await place(execute, world, customer["id"], [(bolts, units), (pumps, 1)]))[
            "salesOrder"
        ]
        first = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
        await execute(FAILED, {"id": first["delivery"]["id"]})
        second = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
        await execute(DELIVERED, {"id": second["delivery"]["id"]})
        invoice = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"][
            "invoice"
        ]
        if tier == "GOLD":
            paid = await execute(PAY, {"input": {"invoice": invoice["id"], "amount": "50.00"}})
            assert paid["paymentRecord"]["errors"] == []
            # A bolt comes back (credited), then a goodwill credit beyond what is still due,
            # part of which is refunded.
            back = await execute(
                RETURN,
                {
                    "input": {
                        "salesOrder": order["id"],
                        "lines": [{"orderLine": order["lines"][0]["id"], "quantity": 1}],
                        "reason": "Wrong size",
                    }
                },
            )
            assert back["salesReturnReceive"]["errors"] == []
            goodwill = await credit(execute, invoice["id"], amount="100.00")
            assert goodwill["creditNote"]["refundAmount"] != "0.00"
            refunded = await execute(
                REFUND, {"input": {"creditNote": goodwill["creditNote"]["id"], "amount": "1.00"}}
            )
            assert refunded["refundRecord"]["errors"] == []
        else:
            voided = await execute(VOID, {"input": {"id": invoice["id"], "reason": "Duplicate"}})
            assert voided["invoiceVoid"]["errors"] == []

    by_rules = await ledger(db)
    assert {row[5] for row in by_rules} == {
        "stock.adjusted",
        "purchase_order.received",
        "delivery.created",
        "delivery.failed",
        "invoice.issued",
        "invoice.voided",
        "payment.recorded",
        "sales_return.received",
        "credit_note.issued",
        "refund.recorded",
        "supplier_bill.recorded",
        "supplier_bill.voided",
        "supplier_payment.recorded",
    }
    await db.execute("TRUNCATE finance.journal_line, finance.journal_entry CASCADE")
    async with db.transaction():
        report = await bulk_books.post_all(db)
    assert report.entries == len(by_rules)
    assert await ledger(db) == by_rules
