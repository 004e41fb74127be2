"""Credit notes, returns and refunds: what an invoice still asks for, on every surface, and
what each of them posts."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from domain.finance import reconciliation
from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import ERRORS, create_customer, create_item, place
from tests.mutations.test_foreign_currency import PRICE_LIST, rate
from tests.mutations.test_ledger_postings import DELIVERED, PAY, SHIP, VOID, balances

INVOICE = f"""mutation($input: InvoiceIssueInput!) {{ invoiceIssue(input: $input) {{
  invoice {{ id total lines {{ id quantity unitPrice orderLine {{ id }} }} }} {ERRORS} }} }}"""
CREDIT = f"""mutation($input: CreditNoteIssueInput!) {{ creditNoteIssue(input: $input) {{
  creditNote {{ id number subtotal taxTotal total refundAmount refundOwed
    lines {{ quantity lineTotal taxAmount }}
    invoice {{ status amountPaid amountCredited amountDue }} }} {ERRORS} }} }}"""
RETURN = f"""mutation($input: SalesReturnReceiveInput!) {{ salesReturnReceive(input: $input) {{
  salesReturn {{ number lines {{ quantity creditedQuantity }}
    creditNotes {{ number total invoice {{ amountDue }} }} }} {ERRORS} }} }}"""
REFUND = f"""mutation($input: RefundRecordInput!) {{ refundRecord(input: $input) {{
  refund {{ number amount creditNote {{ amountRefunded refundOwed }} }} {ERRORS} }} }}"""
AMOUNTS = """query($id: ID!) { node(id: $id) { ... on Invoice { status amountPaid amountCredited
  amountDue creditNotes { number total } customer { openBalance } } } }"""
ITEM = """query($id: ID!) { node(id: $id) { ... on StockItem { onHand reserved } } }"""
ENTRY = """SELECT a.purpose, l.debit, l.credit FROM finance.journal_line l
JOIN finance.account a ON a.id = l.account_id JOIN finance.journal_entry e ON e.id = l.entry_id
WHERE e.event = $1 ORDER BY e.id, l.line_no"""


async def billed(
    execute: Execute, world: World, customer: str, item: str, units: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An order of `units` of `item`, delivered and invoiced: (order, invoice)."""
    order = (await place(execute, world, customer, [(item, units)]))["salesOrder"]
    shipped = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
    await execute(DELIVERED, {"id": shipped["delivery"]["id"]})
    invoice = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"]
    assert invoice["errors"] == []
    return order, invoice["invoice"]


async def credit(execute: Execute, invoice: str, **given: Any) -> dict[str, Any]:
    result = await execute(CREDIT, {"input": {"invoice": invoice, "reason": "Damaged", **given}})
    return result["creditNoteIssue"]  # type: ignore[no-any-return]


async def unreconciled(db: asyncpg.Connection) -> list[str]:
    return [name for name, query in reconciliation.CHECKS.items() if await db.fetchval(query)]


async def test_credit_by_lines_and_by_amount_reduces_what_is_due_everywhere(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, tier="GOLD", country="DE")
    item = await create_item(execute, world, sku="PUMP-1", price="100.00", stock=20)
    _, invoice = await billed(execute, world, customer["id"], item, 4)
    line = invoice["lines"][0]["id"]
    assert invoice["total"] == "428.40"  # 4 × 90.00 + 19 % VAT

    by_line = await credit(execute, invoice["id"], lines=[{"invoiceLine": line, "quantity": 1}])
    assert by_line["errors"] == []
    note = by_line["creditNote"]
    assert (note["subtotal"], note["taxTotal"], note["total"], note["refundAmount"]) == (
        "90.00",
        "17.10",
        "107.10",
        "0.00",
    )
    assert note["lines"] == [{"quantity": 1, "lineTotal": "90.00", "taxAmount": "17.10"}]
    assert note["invoice"] == {
        "status": "ISSUED",
        "amountPaid": "0.00",
        "amountCredited": "107.10",
        "amountDue": "321.30",
    }
    assert [tuple(row) for row in await db.fetch(ENTRY, "credit_note.issued")] == [
        ("sales_returns", Decimal("90.00"), Decimal("0.00")),
        ("output_vat", Decimal("17.10"), Decimal("0.00")),
        ("receivable", Decimal("0.00"), Decimal("107.10")),
    ]

    goodwill = await credit(execute, invoice["id"], amount="50.00")
    assert goodwill["errors"] == []
    assert (goodwill["creditNote"]["taxTotal"], goodwill["creditNote"]["total"]) == (
        "9.50",
        "59.50",
    )
    assert goodwill["creditNote"]["lines"] == []
    # Every surface: the invoice, the customer's open balance, BI, the ledger.
    read = (await execute(AMOUNTS, {"id": invoice["id"]}))["node"]
    assert (read["amountCredited"], read["amountDue"]) == ("166.60", "261.80")
    assert read["customer"]["openBalance"] == "261.80"
    assert [note["number"] for note in read["creditNotes"]] == [
        by_line["creditNote"]["number"],
        goodwill["creditNote"]["number"],
    ]
    aging = await db.fetchrow(
        "SELECT amount_due, amount_credited FROM bi.invoices_aging WHERE invoice_number = "
        "(SELECT number FROM erp.invoice)"
    )
    assert tuple(aging) == (Decimal("261.80"), Decimal("166.60"))
    assert (await balances(db))["receivable"] == Decimal("261.80")

    # Never more than was billed and not credited yet, per line and per invoice.
    before = await row_counts(db)
    too_many = await credit(execute, invoice["id"], lines=[{"invoiceLine": line, "quantity": 4}])
    assert [(e["field"], e["code"]) for e in too_many["errors"]] == [
        ("lines.0.quantity", "OVER_CREDIT")
    ]
    too_much = await credit(execute, invoice["id"], amount="220.01")
    assert [(e["field"], e["code"]) for e in too_much["errors"]] == [("amount", "OVER_CREDIT")]
    # Three units are left on the line, but only 220.00 net on the invoice.
    over_net = await credit(execute, invoice["id"], lines=[{"invoiceLine": line, "quantity": 3}])
    assert [e["code"] for e in over_net["errors"]] == ["OVER_CREDIT"]
    both = await credit(execute, invoice["id"], amount="1.00", lines=[])
    assert [e["code"] for e in both["errors"]] == ["VALIDATION"]
    assert await row_counts(db) == before

    rest = await credit(execute, invoice["id"], amount="220.00")
    assert rest["errors"] == []
    # The last credit takes whatever tax is left, so the invoice is credited to the cent.
    assert rest["creditNote"]["taxTotal"] == "41.80"
    assert rest["creditNote"]["invoice"]["status"] == "CREDITED"
    assert rest["creditNote"]["invoice"]["amountDue"] == "0.00"
    assert (await credit(execute, invoice["id"], amount="0.01"))["errors"][0]["code"] == (
        "INVALID_TRANSITION"
    )
    voided = await execute(VOID, {"input": {"id": invoice["id"], "reason": "Mistake"}})
    assert voided["invoiceVoid"]["errors"][0]["code"] == "INVALID_TRANSITION"
    assert "receivable" not in await balances(db)
    assert await db.fetchval("SELECT count(*) FROM bi.invoices_aging") == 0
    assert await unreconciled(db) == []


async def test_a_credit_beyond_what_is_due_is_refunded_never_more(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, tier="GOLD", country="DE")
    item = await create_item(execute, world, sku="PUMP-2", price="100.00", stock=20)
    _, invoice = await billed(execute, world, customer["id"], item, 4)
    paid = await execute(PAY, {"input": {"invoice": invoice["id"], "amount": "400.00"}})
    assert paid["paymentRecord"]["errors"] == []

    line = invoice["lines"][0]["id"]
    issued = await credit(execute, invoice["id"], lines=[{"invoiceLine": line, "quantity": 1}])
    assert issued["errors"] == []
    note = issued["creditNote"]
    # 28.40 was still due; the other 78.70 of the 107.10 is owed back to the customer.
    assert (note["total"], note["refundAmount"], note["refundOwed"]) == (
        "107.10",
        "78.70",
        "78.70",
    )
    assert note["invoice"]["status"] == "PAID"
    assert note["invoice"]["amountDue"] == "0.00"
    assert [tuple(row) for row in await db.fetch(ENTRY, "credit_note.issued")] == [
        ("sales_returns", Decimal("90.00"), Decimal("0.00")),
        ("output_vat", Decimal("17.10"), Decimal("0.00")),
        ("receivable", Decimal("0.00"), Decimal("28.40")),
        ("refunds_due", Decimal("0.00"), Decimal("78.70")),
    ]
    assert (await balances(db))["refunds_due"] == Decimal("-78.70")
    assert await unreconciled(db) == []

    too_much = await execute(REFUND, {"input": {"creditNote": note["id"], "amount": "78.71"}})
    assert [(e["field"], e["code"]) for e in too_much["refundRecord"]["errors"]] == [
        ("amount", "OVER_REFUND")
    ]
    first = await execute(
        REFUND, {"input": {"creditNote": note["id"], "amount": "50.00", "reference": "TX-1"}}
    )
    assert first["refundRecord"]["errors"] == []
    assert first["refundRecord"]["refund"]["creditNote"] == {
        "amountRefunded": "50.00",
        "refundOwed": "28.70",
    }
    rest = await execute(REFUND, {"input": {"creditNote": note["id"], "amount": "28.70"}})
    assert rest["refundRecord"]["errors"] == []
    assert [tuple(row) for row in await db.fetch(ENTRY, "refund.recorded")] == [
        ("refunds_due", Decimal("50.00"), Decimal("0.00")),
        ("bank", Decimal("0.00"), Decimal("50.00")),
        ("refunds_due", Decimal("28.70"), Decimal("0.00")),
        ("bank", Decimal("0.00"), Decimal("28.70")),
    ]
    books = await balances(db)
    assert "refunds_due" not in books and "receivable" not in books
    assert books["bank"] == Decimal("400.00") - Decimal("78.70")
    again = await execute(REFUND, {"input": {"creditNote": note["id"], "amount": "0.01"}})
    assert again["refundRecord"]["errors"][0]["code"] == "OVER_REFUND"
    assert await unreconciled(db) == []


async def test_returned_goods_come_back_at_cost_and_credit_what_was_invoiced(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, tier="GOLD", country="DE")
    item = await create_item(execute, world, sku="PUMP-3", price="100.00", stock=20)
    order, _ = await billed(execute, world, customer["id"], item, 4)
    order_line = order["lines"][0]["id"]
    books = await balances(db)
    assert books["cost_of_goods_sold"] == Decimal("200.00")  # 4 units left at 50.00

    back = await execute(
        RETURN,
        {
            "input": {
                "salesOrder": order["id"],
                "lines": [{"orderLine": order_line, "quantity": 1}],
                "reason": "Wrong size",
            }
        },
    )
    payload = back["salesReturnReceive"]
    assert payload["errors"] == []
    assert payload["salesReturn"]["lines"] == [{"quantity": 1, "creditedQuantity": 1}]
    [note] = payload["salesReturn"]["creditNotes"]
    assert note["total"] == "107.10"
    assert note["invoice"]["amountDue"] == "321.30"
    assert (await execute(ITEM, {"id": item}))["node"] == {"onHand": 17, "reserved": 0}
    books = await balances(db)
    assert books["cost_of_goods_sold"] == Decimal("150.00")
    assert books["inventory"] == Decimal("850.00")  # 17 units at 50.00
    assert [tuple(row) for row in await db.fetch(ENTRY, "sales_return.received")] == [
        ("inventory", Decimal("50.00"), Decimal("0.00")),
        ("cost_of_goods_sold", Decimal("0.00"), Decimal("50.00")),
    ]

    before = await row_counts(db)
    too_many = await execute(
        RETURN,
        {
            "input": {
                "salesOrder": order["id"],
                "lines": [{"orderLine": order_line, "quantity": 4}],
                "reason": "All of them",
            }
        },
    )
    assert [(e["field"], e["code"]) for e in too_many["salesReturnReceive"]["errors"]] == [
        ("lines.0.quantity", "OVER_RETURN")
    ]
    assert await row_counts(db) == before
    assert await unreconciled(db) == []


async def test_goods_returned_before_invoicing_are_never_billed(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, country="DE")
    item = await create_item(execute, world, sku="VALVE-1", price="10.00", stock=10)
    order = (await place(execute, world, customer["id"], [(item, 3)]))["salesOrder"]
    shipped = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
    await execute(DELIVERED, {"id": shipped["delivery"]["id"]})
    back = await execute(
        RETURN,
        {
            "input": {
                "salesOrder": order["id"],
                "lines": [{"orderLine": order["lines"][0]["id"], "quantity": 2}],
                "reason": "Not needed",
            }
        },
    )
    payload = back["salesReturnReceive"]
    assert payload["errors"] == []
    assert payload["salesReturn"]["lines"] == [{"quantity": 2, "creditedQuantity": 0}]
    assert payload["salesReturn"]["creditNotes"] == []
    invoice = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"]
    assert invoice["errors"] == []
    assert [line["quantity"] for line in invoice["invoice"]["lines"]] == [1]
    assert await unreconciled(db) == []


async def test_a_foreign_currency_credit_relieves_the_receivable_at_the_booked_rate(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, currency="USD", country="US")
    item = await create_item(execute, world, sku="PUMP-US", price="100.00", stock=5)
    listed = await execute(
        PRICE_LIST, {"input": {"name": "US dollars", "currency": "USD", "validFrom": "2020-01-01"}}
    )
    assert listed["priceListCreate"]["errors"] == []
    await rate(db, date.today() - timedelta(days=10), "0.8")
    _, invoice = await billed(execute, world, customer["id"], item, 2)  # 250.00 USD, 200.00 EUR
    await rate(db, date.today(), "0.9")
    issued = await credit(execute, invoice["id"], amount="50.00")
    assert issued["errors"] == []
    assert [tuple(row) for row in await db.fetch(ENTRY, "credit_note.issued")] == [
        ("sales_returns", Decimal("40.00"), Decimal("0.00")),
        ("receivable", Decimal("0.00"), Decimal("40.00")),
    ]
    assert (await balances(db))["receivable"] == Decimal("160.00")


async def test_only_finance_credits_and_a_rep_sees_only_own_customers_notes(
    execute: Execute, world: World
) -> None:
    customer = await create_customer(execute, country="DE")
    item = await create_item(execute, world, sku="BOLT-9", price="10.00", stock=10)
    _, invoice = await billed(execute, world, customer["id"], item, 2)
    refused = await execute(
        CREDIT,
        {"input": {"invoice": invoice["id"], "reason": "Please", "amount": "1.00"}},
        viewer=world.rep,
    )
    assert [e["code"] for e in refused["creditNoteIssue"]["errors"]] == ["FORBIDDEN"]
    assert (await credit(execute, invoice["id"], amount="1.00"))["errors"] == []
    listed = await execute(
        "query { creditNotes(first: 5) { edges { node { number } } } }", viewer=world.other_rep
    )
    assert listed["creditNotes"]["edges"] == []


async def test_money_moved_is_checked_alike_everywhere_and_every_problem_is_told(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    """Payments and refunds share one check (`validation.money_moved`): every problem of the
    amount, the reference and the instant comes back at once, and nothing is written."""
    customer = await create_customer(execute, tier="GOLD", country="DE")
    item = await create_item(execute, world, sku="MOVED-1", price="100.00", stock=5)
    _, invoice = await billed(execute, world, customer["id"], item, 1)
    bad = {"amount": "0.001", "reference": "R" * 101, "receivedAt": "2999-01-01T00:00:00+00:00"}
    paid = await execute(PAY, {"input": {"invoice": invoice["id"], **bad}})
    assert sorted(e["field"] for e in paid["paymentRecord"]["errors"]) == [
        "amount",
        "receivedAt",
        "reference",
    ]
    note = (await credit(execute, invoice["id"], amount="10.00"))["creditNote"]
    bad["paidAt"] = bad.pop("receivedAt")
    refunded = await execute(REFUND, {"input": {"creditNote": note["id"], **bad}})
    assert sorted(e["field"] for e in refunded["refundRecord"]["errors"]) == [
        "amount",
        "paidAt",
        "reference",
    ]
    assert await db.fetchval("SELECT count(*) FROM erp.payment") == 0
    assert await db.fetchval("SELECT count(*) FROM erp.refund") == 0
