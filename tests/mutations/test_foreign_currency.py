"""A customer buying in USD: priced at the day's rate, booked in EUR and in USD."""

from datetime import date, timedelta
from decimal import Decimal

import asyncpg

from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, place
from tests.mutations.test_ledger_postings import DELIVERED, INVOICE, PAY, SHIP, balances

PRICE_LIST = f"""mutation($input: PriceListCreateInput!) {{ priceListCreate(input: $input) {{
  priceList {{ id }} {ERRORS} }} }}"""
LINES = """SELECT a.purpose, l.debit, l.credit, l.currency, l.amount_currency
FROM finance.journal_line l JOIN finance.account a ON a.id = l.account_id
JOIN finance.journal_entry e ON e.id = l.entry_id WHERE e.event = $1 ORDER BY l.line_no"""


async def rate(db: asyncpg.Connection, day: date, value: str) -> None:
    await db.execute(
        "INSERT INTO finance.exchange_rate (currency, valid_on, rate) VALUES ('USD', $1, $2)",
        day,
        Decimal(value),
    )


async def test_a_usd_customer_buys_at_the_days_rate_and_pays_at_another(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    customer = await create_customer(execute, currency="USD", country="US")
    item = await create_item(execute, world, sku="PUMP-US", price="100.00", stock=5)
    without_list = await place(execute, world, customer["id"], [(item, 1)])
    assert [error["code"] for error in without_list["errors"]] == ["NO_PRICE_LIST"]

    listed = await execute(
        PRICE_LIST,
        {"input": {"name": "US dollars", "currency": "USD", "validFrom": "2020-01-01"}},
    )
    assert listed["priceListCreate"]["errors"] == []
    without_rate = await place(execute, world, customer["id"], [(item, 1)])
    assert [error["code"] for error in without_rate["errors"]] == ["NO_RATE"]

    today = date.today()
    await rate(db, today - timedelta(days=10), "0.8")  # 1 USD = 0.80 EUR
    placed = await place(execute, world, customer["id"], [(item, 2)])
    assert placed["errors"] == []
    # 100.00 EUR lists at 125.00 USD; a BRONZE customer pays list; no US VAT.
    assert (placed["salesOrder"]["subtotal"], placed["salesOrder"]["total"]) == (
        "250.00",
        "250.00",
    )
    order = placed["salesOrder"]["id"]
    shipped = (await execute(SHIP, {"input": {"salesOrder": order}}))["deliveryCreate"]
    await execute(DELIVERED, {"id": shipped["delivery"]["id"]})
    invoice = (await execute(INVOICE, {"input": {"salesOrder": order}}))["invoiceIssue"]
    assert invoice["errors"] == []
    assert [tuple(row) for row in await db.fetch(LINES, "invoice.issued")] == [
        ("receivable", Decimal("200.00"), Decimal("0.00"), "USD", Decimal("250.00")),
        ("revenue", Decimal("0.00"), Decimal("200.00"), "USD", Decimal("-250.00")),
    ]

    await rate(db, today, "0.9")  # the dollar rose before the customer paid
    paid = await execute(PAY, {"input": {"invoice": invoice["invoice"]["id"], "amount": "250.00"}})
    assert paid["paymentRecord"]["errors"] == []
    assert [tuple(row) for row in await db.fetch(LINES, "payment.recorded")] == [
        ("bank", Decimal("225.00"), Decimal("0.00"), "USD", Decimal("250.00")),
        ("receivable", Decimal("0.00"), Decimal("200.00"), "USD", Decimal("-250.00")),
        ("exchange_differences", Decimal("0.00"), Decimal("25.00"), "EUR", Decimal("-25.00")),
    ]
    books = await balances(db)
    assert "receivable" not in books
    assert books["exchange_differences"] == Decimal("-25.00")
