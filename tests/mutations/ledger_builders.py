"""Ledgers for report tests: a sale through the mutations (its entries dated today),
entries and invoices of the past written straight into the tables, expected sums read from
the lines, and a runner that returns a document's errors instead of failing on them."""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine

from api.settings import Settings
from domain.core.access import Viewer
from domain.core.reads import ReadPool
from domain.core.sessions import session_factory
from schema.core.context import AppState, Context
from schema.core.loaders import Loaders
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import ERRORS, create_customer, create_item, place

Ask = Callable[..., Awaitable[tuple[dict[str, Any] | None, list[tuple[Any, Any]]]]]

SHIP = f"""mutation($input: DeliveryCreateInput!) {{ deliveryCreate(input: $input) {{
  delivery {{ id }} {ERRORS} }} }}"""
DELIVERED = f"""mutation($id: ID!) {{ deliveryMarkDelivered(input: {{id: $id}}) {{
  delivery {{ status }} {ERRORS} }} }}"""
INVOICE = f"""mutation($input: InvoiceIssueInput!) {{ invoiceIssue(input: $input) {{
  invoice {{ id total }} {ERRORS} }} }}"""
PAY = f"""mutation($input: PaymentRecordInput!) {{ paymentRecord(input: $input) {{
  payment {{ amount }} {ERRORS} }} }}"""


async def sell(execute: Execute, world: World) -> None:
    """Order to cash through the mutations: 4 pumps at 100.00 (GOLD: 360.00 net), 100 paid."""
    customer = await create_customer(execute, tier="GOLD", country="DE")
    item = await create_item(execute, world, sku="PUMP-1", price="100.00", stock=20)
    order = (await place(execute, world, customer["id"], [(item, 4)]))["salesOrder"]
    shipped = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
    await execute(DELIVERED, {"id": shipped["delivery"]["id"]})
    issued = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"]
    paid = await execute(PAY, {"input": {"invoice": issued["invoice"]["id"], "amount": "100.00"}})
    assert paid["paymentRecord"]["errors"] == []


@dataclass(frozen=True)
class Line:
    """One line of an entry written straight into the ledger, by account code."""

    code: str
    debit: str = "0"
    credit: str = "0"
    customer: int | None = None
    supplier: int | None = None
    invoice: int | None = None
    bill: int | None = None


async def book(
    db: asyncpg.Connection,
    day: date,
    *lines: Line,
    kind: str = "manual",
    reverses: int | None = None,
) -> int:
    """An entry dated `day`, written by SQL (balanced: the deferred trigger checks at commit)."""
    async with db.transaction():
        entry = await db.fetchval(
            "INSERT INTO finance.journal_entry (number, journal_id, kind, entry_date, "
            "document_date, description, reverses_id) SELECT $1, id, $2, $3, $3, $4, $5 "
            "FROM finance.journal WHERE code = 'GEN' RETURNING id",
            f"T-{uuid.uuid4().hex[:12]}",
            kind,
            day,
            f"Test {kind}",
            reverses,
        )
        for number, line in enumerate(lines, start=1):
            amount = Decimal(line.debit) - Decimal(line.credit)
            await db.execute(
                "INSERT INTO finance.journal_line (entry_id, line_no, account_id, entry_date, "
                "debit, credit, currency, amount_currency, customer_id, supplier_id, invoice_id, "
                "supplier_bill_id) SELECT $1, $2, id, $3, $4, $5, 'EUR', $6, $7, $8, $9, $11 "
                "FROM finance.account WHERE code = $10",
                entry,
                number,
                day,
                Decimal(line.debit),
                Decimal(line.credit),
                amount,
                line.customer,
                line.supplier,
                line.invoice,
                line.code,
                line.bill,
            )
    return int(entry)


async def invoice(
    db: asyncpg.Connection, customer: int, number: str, issued: date, due: date, total: str
) -> int:
    """An invoice of the past (no tax), booked as the posting rules book one."""
    invoice_id = await db.fetchval(
        "INSERT INTO erp.invoice (number, customer_id, issued_on, due_on, subtotal, tax_total, "
        "total) VALUES ($1, $2, $3, $4, $5, 0, $5) RETURNING id",
        number,
        customer,
        issued,
        due,
        Decimal(total),
    )
    await book(
        db,
        issued,
        Line("1200", debit=total, customer=customer, invoice=invoice_id),
        Line("4100", credit=total, customer=customer),
    )
    return int(invoice_id)


async def pay(
    db: asyncpg.Connection, customer: int, invoice_id: int, day: date, amount: str
) -> None:
    await book(
        db,
        day,
        Line("1100", debit=amount),
        Line("1200", credit=amount, customer=customer, invoice=invoice_id),
    )


async def supplier_bill(
    db: asyncpg.Connection, supplier: int, number: str, billed: date, due: date, total: str
) -> int:
    """A supplier bill of the past (no tax, for an order of its own), booked as the posting
    rules book one."""
    order = await db.fetchval(
        "INSERT INTO erp.purchase_order (number, supplier_id, warehouse_id, status, total, "
        "ordered_at) SELECT $1, $2, id, 'received', $3, now() FROM erp.warehouse ORDER BY id "
        "LIMIT 1 RETURNING id",
        f"PO-{number}",
        supplier,
        Decimal(total),
    )
    bill_id = await db.fetchval(
        "INSERT INTO finance.supplier_bill (number, supplier_id, purchase_order_id, currency, "
        "bill_date, due_on, tax_rate, net, tax, total, price_difference) "
        "VALUES ($1, $2, $3, 'EUR', $4, $5, 0, $6, 0, $6, 0) RETURNING id",
        number,
        supplier,
        order,
        billed,
        due,
        Decimal(total),
    )
    await book(
        db,
        billed,
        Line("2200", debit=total, supplier=supplier),
        Line("2100", credit=total, supplier=supplier, bill=bill_id),
    )
    return int(bill_id)


async def line_sums(db: asyncpg.Connection, as_of: date) -> dict[str, tuple[Decimal, Decimal]]:
    """Debits and credits per account code of every line dated through `as_of`."""
    rows = await db.fetch(
        "SELECT a.code, sum(l.debit) AS debit, sum(l.credit) AS credit "
        "FROM finance.journal_line l JOIN finance.account a ON a.id = l.account_id "
        "WHERE l.entry_date <= $1 GROUP BY a.code",
        as_of,
    )
    return {row["code"]: (row["debit"], row["credit"]) for row in rows}


def by_code(rows: list[dict[str, Any]], field: str) -> dict[str, Decimal]:
    return {row["code"]: Decimal(row[field]) for row in rows}


@pytest.fixture
async def ask(
    schema: strawberry.Schema, engine: AsyncEngine, database_url: str, world: World
) -> AsyncIterator[Ask]:
    """Run a document as a viewer and return its data and error codes, errors included."""
    reads = ReadPool(database_url, max_size=2)
    state = AppState(
        engine=engine, sessions=session_factory(engine), reads=reads, settings=Settings()
    )

    async def run(
        query: str, variables: dict[str, Any], *, viewer: Viewer
    ) -> tuple[dict[str, Any] | None, list[tuple[str, Any]]]:
        context = Context(
            state=state, viewer=viewer, request_id="test", loaders=Loaders(reads, viewer)
        )
        result = await schema.execute(query, variable_values=variables, context_value=context)
        codes = [
            ((error.extensions or {}).get("code"), (error.extensions or {}).get("argument"))
            for error in result.errors or []
        ]
        return result.data, codes

    yield run
    await reads.close()


def as_role(world: World, role: str) -> Viewer:
    return Viewer(world.admin.employee_id, "ada@example.com", frozenset({role}))


async def close_months(db: asyncpg.Connection, *months: date) -> None:
    """Close months as a close does: the month, and its accounts' totals frozen from the lines
    (the close itself is `domain.finance.closing`; here only what reports read of it)."""
    async with db.transaction():
        for month in months:
            await db.execute("INSERT INTO finance.closed_period (month) VALUES ($1)", month)
            await db.execute(
                "INSERT INTO finance.account_month_total (account_id, month, debit, credit) "
                "SELECT account_id, $1::date, sum(debit), sum(credit) FROM finance.journal_line "
                "WHERE date_trunc('month', entry_date)::date = $1::date GROUP BY account_id",
                month,
            )
