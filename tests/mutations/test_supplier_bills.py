"""Supplier bills: matched against what was received, posted from goods received not
invoiced to the supplier's payable, paid in parts, voided while unpaid, aged by due date."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from domain.core.access import Viewer
from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.ledger_builders import Ask
from tests.mutations.ledger_builders import ask as ask  # a fixture
from tests.mutations.operations import ERRORS, create_item, key

PURCHASE = f"""mutation($s: ID!, $w: ID!, $i: ID!, $qty: Int!, $cost: Decimal!) {{
  purchaseOrderCreate(input: {{supplier: $s, warehouse: $w,
    lines: [{{stockItem: $i, quantity: $qty, unitCost: $cost}}]}}) {{
  purchaseOrder {{ id }} {ERRORS} }} }}"""
RECEIVE = f"""mutation($id: ID!, $item: ID!, $qty: Int!) {{ purchaseOrderReceive(input: {{id: $id,
  lines: [{{stockItem: $item, quantity: $qty}}]}}) {{ purchaseOrder {{ status }} {ERRORS} }} }}"""
BILL_FIELDS = """id number status currency billDate dueOn taxRate net tax total priceDifference
  amountPaid amountDue supplier { code } purchaseOrder { id }
  lines { quantity unitPrice unitCost net priceDifference quantityOrdered quantityReceived
    quantityBilled quantityNotYetReceived quantityReceivedNotBilled stockItem { sku } }"""
RECORD = f"""mutation($input: SupplierBillRecordInput!) {{ supplierBillRecord(input: $input) {{
  supplierBill {{ {BILL_FIELDS} }} {ERRORS} }} }}"""
VOID = f"""mutation($id: ID!) {{ supplierBillVoid(input: {{id: $id, reason: "Entered twice"}}) {{
  supplierBill {{ status amountDue }} {ERRORS} }} }}"""
PAY = f"""mutation($input: SupplierPaymentRecordInput!) {{ supplierPaymentRecord(input: $input) {{
  supplierPayment {{ number amount currency bill {{ status amountPaid amountDue }} }}
  {ERRORS} }} }}"""
ENTRIES = """query($source: String) { journalEntries(first: 20, filter: {sourceType: $source},
  orderBy: {direction: ASC}) { edges { node { kind event description
  lines { account { purpose } debit credit currency amountCurrency supplier { code }
    supplierBill { id } } } } } }"""
BILLS = """query($filter: SupplierBillFilter) { supplierBills(first: 10, filter: $filter,
  orderBy: {direction: ASC}) { totalCount edges { node { number status amountDue
  payments { amount } } } } }"""
PAYABLES = """query($asOf: Date!) { payablesAging(asOf: $asOf) {
  total { total } suppliers { code notDue days1To30 days31To60 days61To90 over90 total } } }"""


async def purchase(
    execute: Execute, world: World, *, ordered: int, received: int, cost: str = "3.25"
) -> tuple[str, str]:
    """A purchase order for one new item, `received` of its `ordered` units in: (order, item)."""
    item = await create_item(execute, world, sku=f"BUY-{cost}-{ordered}", price="8.00")
    created = await execute(
        PURCHASE,
        {
            "s": World.gid("Supplier", world.supplier),
            "w": World.gid("Warehouse", world.warehouse),
            "i": item,
            "qty": ordered,
            "cost": cost,
        },
    )
    order: str = created["purchaseOrderCreate"]["purchaseOrder"]["id"]
    if received:
        got = await execute(RECEIVE, {"id": order, "item": item, "qty": received})
        assert got["purchaseOrderReceive"]["errors"] == []
    return order, item


async def record(
    execute: Execute,
    order: str,
    item: str,
    quantity: int,
    *,
    number: str = "INV-77",
    viewer: Viewer | None = None,
    **fields: Any,
) -> dict[str, Any]:
    line = {"stockItem": item, "quantity": quantity}
    if "unitPrice" in fields:
        line["unitPrice"] = fields.pop("unitPrice")
    result = await execute(
        RECORD,
        {"input": {"purchaseOrder": order, "number": number, "lines": [line], **fields}},
        viewer=viewer,
    )
    return result["supplierBillRecord"]  # type: ignore[no-any-return]


async def pay(execute: Execute, bill: str, amount: str, **fields: Any) -> dict[str, Any]:
    result = await execute(PAY, {"input": {"bill": bill, "amount": amount, **fields}})
    return result["supplierPaymentRecord"]  # type: ignore[no-any-return]


async def balances(db: asyncpg.Connection) -> dict[str, Decimal]:
    """Debit-positive balance of every account with postings, by purpose."""
    rows = await db.fetch(
        "SELECT a.purpose, sum(l.debit - l.credit) AS balance FROM finance.journal_line l "
        "JOIN finance.account a ON a.id = l.account_id GROUP BY a.purpose"
    )
    return {row["purpose"]: row["balance"] for row in rows if row["balance"]}


def posted(entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(line["account"]["purpose"], line["debit"], line["credit"]) for line in entry["lines"]]


async def test_billing_more_than_was_received_is_refused_and_writes_nothing(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    order, item = await purchase(execute, world, ordered=30, received=12)
    other = await create_item(execute, world, sku="NOT-ON-IT", price="1.00")
    before = await row_counts(db)
    refused = await record(execute, order, item, 13)
    assert refused == {
        "supplierBill": None,
        "errors": [
            {
                "field": "lines.0.quantity",
                "message": "1 more than was received and not yet billed",
                "code": "OVER_BILLING",
            }
        ],
    }
    missing = await record(execute, order, other, 1)
    assert [(e["field"], e["code"]) for e in missing["errors"]] == [
        ("lines.0.stockItem", "NOT_FOUND")
    ]
    invalid = await record(execute, order, item, 0, dueInDays=181, taxRate="0.123456")
    assert {(e["field"], e["code"]) for e in invalid["errors"]} == {
        ("lines.0.quantity", "INVALID_QUANTITY"),
        ("dueInDays", "VALIDATION"),
        ("taxRate", "VALIDATION"),
    }
    assert await row_counts(db) == before

    billed = await record(execute, order, item, 12)
    assert billed["errors"] == []
    again = await record(execute, order, item, 1, number="INV-78")
    assert again["errors"][0]["code"] == "OVER_BILLING"
    duplicate = await record(execute, order, item, 1, number="INV-77")
    assert [(e["field"], e["code"]) for e in duplicate["errors"]] == [("number", "DUPLICATE")]


async def test_a_bill_above_cost_books_the_price_difference_and_input_vat(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    order, item = await purchase(execute, world, ordered=30, received=12)
    bill_date = date.today() - timedelta(days=3)
    result = await record(
        execute,
        order,
        item,
        12,
        unitPrice="3.50",
        taxRate="0.19",
        billDate=bill_date.isoformat(),
        dueInDays=14,
    )
    assert result["errors"] == []
    bill = result["supplierBill"]
    assert {k: v for k, v in bill.items() if k not in ("id", "lines", "purchaseOrder")} == {
        "number": "INV-77",
        "status": "OPEN",
        "currency": "EUR",
        "billDate": bill_date.isoformat(),
        "dueOn": (bill_date + timedelta(days=14)).isoformat(),
        "taxRate": "0.1900",
        "net": "42.00",
        "tax": "7.98",
        "total": "49.98",
        "priceDifference": "3.00",
        "amountPaid": "0.00",
        "amountDue": "49.98",
        "supplier": {"code": "S1"},
    }
    assert bill["purchaseOrder"] == {"id": order}
    assert bill["lines"] == [
        {
            "quantity": 12,
            "unitPrice": "3.50",
            "unitCost": "3.25",
            "net": "42.00",
            "priceDifference": "3.00",
            "quantityOrdered": 30,
            "quantityReceived": 12,
            "quantityBilled": 12,
            "quantityNotYetReceived": 18,
            "quantityReceivedNotBilled": 0,
            "stockItem": {"sku": "BUY-3.25-30"},
        }
    ]
    entries = (await execute(ENTRIES, {"source": "supplier_bill"}))["journalEntries"]["edges"]
    assert len(entries) == 1
    entry = entries[0]["node"]
    assert (entry["kind"], entry["event"]) == ("POSTING", "supplier_bill.recorded")
    assert entry["description"].startswith("Bill INV-77 for PO-")
    assert posted(entry) == [
        ("goods_received", "39.00", "0.00"),
        ("price_differences", "3.00", "0.00"),
        ("input_vat", "7.98", "0.00"),
        ("payable", "0.00", "49.98"),
    ]
    assert [line["supplier"] for line in entry["lines"]] == [
        {"code": "S1"},
        {"code": "S1"},
        None,
        {"code": "S1"},
    ]
    assert [line["supplierBill"] for line in entry["lines"]] == [
        None,
        None,
        None,
        {"id": bill["id"]},
    ]

    # The rest arrives and is billed at cost: goods received not invoiced nets to zero.
    got = await execute(RECEIVE, {"id": order, "item": item, "qty": 18})
    assert got["purchaseOrderReceive"]["purchaseOrder"]["status"] == "RECEIVED"
    rest = await record(execute, order, item, 18, number="INV-80")
    assert rest["errors"] == []
    assert rest["supplierBill"]["lines"][0]["quantityReceivedNotBilled"] == 0
    assert (rest["supplierBill"]["priceDifference"], rest["supplierBill"]["total"]) == (
        "0.00",
        "58.50",
    )
    books = await balances(db)
    assert "goods_received" not in books
    assert books["inventory"] == Decimal("97.50")
    assert books["payable"] == Decimal("-108.48")
    assert books["price_differences"] == Decimal("3.00")
    assert books["input_vat"] == Decimal("7.98")


async def test_a_bill_paid_in_two_parts_is_settled_and_stays(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    order, item = await purchase(execute, world, ordered=10, received=10, cost="10.00")
    bill = (await record(execute, order, item, 10))["supplierBill"]
    assert bill["total"] == "100.00"

    first = await pay(execute, bill["id"], "40.00", reference="TRF-1")
    assert first["errors"] == []
    assert first["supplierPayment"]["bill"] == {
        "status": "PARTIALLY_PAID",
        "amountPaid": "40.00",
        "amountDue": "60.00",
    }
    too_much = await pay(execute, bill["id"], "60.01")
    assert [(e["field"], e["code"]) for e in too_much["errors"]] == [("amount", "OVERPAYMENT")]
    wrong = await pay(execute, bill["id"], "10.00", currency="USD")
    assert [(e["field"], e["code"]) for e in wrong["errors"]] == [("currency", "CURRENCY_MISMATCH")]
    refused = (await execute(VOID, {"id": bill["id"]}))["supplierBillVoid"]
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TRANSITION"]

    rest = await pay(execute, bill["id"], "60.00")
    assert rest["supplierPayment"]["bill"] == {
        "status": "PAID",
        "amountPaid": "100.00",
        "amountDue": "0.00",
    }
    books = await balances(db)
    assert "payable" not in books and "goods_received" not in books
    assert books["bank"] == Decimal("-100.00")
    entries = (await execute(ENTRIES, {"source": "supplier_payment"}))["journalEntries"]["edges"]
    assert [posted(edge["node"]) for edge in entries] == [
        [("payable", "40.00", "0.00"), ("bank", "0.00", "40.00")],
        [("payable", "60.00", "0.00"), ("bank", "0.00", "60.00")],
    ]
    settled = await pay(execute, bill["id"], "1.00")
    assert [e["code"] for e in settled["errors"]] == ["INVALID_TRANSITION"]
    paid_void = (await execute(VOID, {"id": bill["id"]}))["supplierBillVoid"]
    assert [e["code"] for e in paid_void["errors"]] == ["INVALID_TRANSITION"]

    listed = (await execute(BILLS, {"filter": {"status": ["PAID"]}}))["supplierBills"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"]["payments"] == [{"amount": "40.00"}, {"amount": "60.00"}]


async def test_voiding_an_unpaid_bill_reverses_its_entry_and_frees_its_units(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    order, item = await purchase(execute, world, ordered=5, received=5, cost="2.00")
    bill = (await record(execute, order, item, 5, unitPrice="2.20", taxRate="0.07"))["supplierBill"]
    voided = (await execute(VOID, {"id": bill["id"]}))["supplierBillVoid"]
    assert voided == {"supplierBill": {"status": "VOID", "amountDue": "0.00"}, "errors": []}
    entries = (await execute(ENTRIES, {"source": "supplier_bill"}))["journalEntries"]["edges"]
    recorded, reversal = (edge["node"] for edge in entries)
    assert (reversal["kind"], reversal["event"]) == ("REVERSAL", "supplier_bill.voided")
    assert [(line["debit"], line["credit"]) for line in reversal["lines"]] == [
        (line["credit"], line["debit"]) for line in recorded["lines"]
    ]
    # Only the receipt is left: 10.00 of goods received, not invoiced.
    assert await balances(db) == {
        "inventory": Decimal("10.00"),
        "goods_received": Decimal("-10.00"),
    }
    # The units may be billed again, under the same number.
    again = await record(execute, order, item, 5)
    assert again["errors"] == []
    assert again["supplierBill"]["lines"][0]["quantityBilled"] == 5
    twice = (await execute(VOID, {"id": bill["id"]}))["supplierBillVoid"]
    assert [e["code"] for e in twice["errors"]] == ["INVALID_TRANSITION"]


async def test_a_foreign_currency_bill_is_paid_at_the_days_rate(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    order, item = await purchase(execute, world, ordered=10, received=10, cost="10.00")
    await db.execute("UPDATE erp.purchase_order SET currency = 'USD' WHERE id = $1", key(order))
    today = date.today()
    await db.execute(
        "INSERT INTO finance.exchange_rate (currency, valid_on, rate) VALUES "
        "('USD', $1, 0.80), ('USD', $2, 0.90)",
        today - timedelta(days=5),
        today,
    )
    bill = (
        await record(
            execute,
            order,
            item,
            10,
            unitPrice="12.50",
            billDate=(today - timedelta(days=2)).isoformat(),
        )
    )["supplierBill"]
    assert (bill["currency"], bill["total"]) == ("USD", "125.00")
    # 125.00 USD at 0.80 is owed; receipts booked the order's 100.00 as it stood.
    entry = (await execute(ENTRIES, {"source": "supplier_bill"}))["journalEntries"]["edges"][0]
    assert [
        tuple(line[name] for name in ("debit", "credit", "currency", "amountCurrency"))
        for line in entry["node"]["lines"]
    ] == [
        ("100.00", "0.00", "EUR", "100.00"),
        ("0.00", "100.00", "USD", "-125.00"),
    ]

    for amount in ("50.00", "75.00"):
        paid = await pay(execute, bill["id"], amount)
        assert paid["errors"] == []
    # 125.00 USD cost 112.50 EUR on the day paid: 12.50 more than booked, a loss.
    books = await balances(db)
    assert "payable" not in books
    assert books["bank"] == Decimal("-112.50")
    assert books["exchange_differences"] == Decimal("12.50")
    entries = (await execute(ENTRIES, {"source": "supplier_payment"}))["journalEntries"]["edges"]
    assert [posted(edge["node"]) for edge in entries] == [
        [
            ("payable", "40.00", "0.00"),
            ("bank", "0.00", "45.00"),
            ("exchange_differences", "5.00", "0.00"),
        ],
        [
            ("payable", "60.00", "0.00"),
            ("bank", "0.00", "67.50"),
            ("exchange_differences", "7.50", "0.00"),
        ],
    ]


async def test_payables_age_by_each_bills_due_date(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    order, item = await purchase(execute, world, ordered=30, received=30, cost="10.00")
    today = date.today()
    old = await record(
        execute,
        order,
        item,
        10,
        number="OLD",
        billDate=(today - timedelta(days=100)).isoformat(),
        dueInDays=30,
    )  # 70 days past due
    recent = await record(
        execute,
        order,
        item,
        20,
        number="NEW",
        billDate=(today - timedelta(days=10)).isoformat(),
        dueInDays=30,
    )  # due in 20 days
    await pay(execute, old["supplierBill"]["id"], "40.00")
    report = (await execute(PAYABLES, {"asOf": today.isoformat()}))["payablesAging"]
    assert report["suppliers"] == [
        {
            "code": "S1",
            "notDue": "200.00",
            "days1To30": "0.00",
            "days31To60": "0.00",
            "days61To90": "60.00",
            "over90": "0.00",
            "total": "260.00",
        }
    ]
    assert report["total"] == {"total": "260.00"}
    due_soon = {"dueFrom": today.isoformat(), "dueTo": (today + timedelta(days=30)).isoformat()}
    listed = (await execute(BILLS, {"filter": due_soon}))["supplierBills"]
    assert [edge["node"]["number"] for edge in listed["edges"]] == ["NEW"]
    assert recent["supplierBill"]["amountDue"] == "200.00"


async def test_finance_enters_bills_the_warehouse_reads_them_sales_neither(
    execute: Execute, world: World, ask: Ask
) -> None:
    order, item = await purchase(execute, world, ordered=4, received=4)
    line = {"stockItem": item, "quantity": 4}
    data, codes = await ask(
        RECORD,
        {"input": {"purchaseOrder": order, "number": "R-1", "lines": [line]}},
        viewer=world.rep,
    )
    # Refused, and the payload's bill is a type the rep may not read either.
    assert data is not None and data["supplierBillRecord"] == {
        "supplierBill": None,
        "errors": [
            {
                "field": None,
                "message": "your roles may not change a SupplierBill",
                "code": "FORBIDDEN",
            }
        ],
    }
    assert codes == [("FORBIDDEN", None)]
    finance = Viewer(world.admin.employee_id, "ada@example.com", frozenset({"finance"}))
    entered = await record(execute, order, item, 4, viewer=finance)
    assert entered["errors"] == []
    warehouse = Viewer(world.admin.employee_id, "ada@example.com", frozenset({"warehouse"}))
    by_warehouse = await record(execute, order, item, 1, number="W-1", viewer=warehouse)
    assert [e["code"] for e in by_warehouse["errors"]] == ["FORBIDDEN"]
    read = """{ supplierBills(first: 5) { edges { node { number lines { quantity } } } } }"""
    seen, codes = await ask(read, {}, viewer=warehouse)
    assert codes == [] and seen is not None
    assert seen["supplierBills"]["edges"] == [
        {"node": {"number": "INV-77", "lines": [{"quantity": 4}]}}
    ]
    paid, codes = await ask(
        "{ supplierBills(first: 5) { edges { node { payments { amount } } } } }",
        {},
        viewer=warehouse,
    )
    assert paid == {"supplierBills": {"edges": [{"node": {"payments": None}}]}}
    assert codes == [("FORBIDDEN", None)]
    not_sales, codes = await ask(read, {}, viewer=world.rep)
    assert not_sales == {"supplierBills": None} and codes == [("FORBIDDEN", None)]
