"""Closing months: in order, with revaluation and the year-end closing; reopening by admins."""

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.access import Viewer
from domain.core.errors import DomainError
from domain.core.journal import Entry, Journal
from domain.core.sessions import create_engine, session_factory
from domain.finance import closing, periods, posting, posting_rules
from tests.mutations.conftest import Execute, World, row_counts
from tests.mutations.operations import ERRORS, create_customer, create_item, key, place

CLOSE = f"""mutation($month: Date!) {{ periodClose(input: {{month: $month}}) {{
  accountingPeriod {{ month closedBy {{ name }} }} {ERRORS} }} }}"""
REOPEN = f"""mutation($month: Date!, $reason: String!) {{
  periodReopen(input: {{month: $month, reason: $reason}}) {{
  accountingPeriod {{ month }} {ERRORS} }} }}"""
PERIODS = """{ booksClosedThrough accountingPeriods(first: 24) { edges { node { month } } } }"""
POST_ENTRY = f"""mutation($input: JournalEntryPostInput!) {{ journalEntryPost(input: $input) {{
  journalEntry {{ number }} {ERRORS} }} }}"""
SHIP = f"""mutation($input: DeliveryCreateInput!) {{ deliveryCreate(input: $input) {{
  delivery {{ id }} {ERRORS} }} }}"""
DELIVERED = f"""mutation($id: ID!) {{ deliveryMarkDelivered(input: {{id: $id}}) {{
  delivery {{ status }} {ERRORS} }} }}"""
INVOICE = f"""mutation($input: InvoiceIssueInput!) {{ invoiceIssue(input: $input) {{
  invoice {{ id total }} {ERRORS} }} }}"""
PAY = f"""mutation($input: PaymentRecordInput!) {{ paymentRecord(input: $input) {{
  payment {{ amount }} {ERRORS} }} }}"""
SET_RATE = f"""mutation($input: ExchangeRateSetInput!) {{ exchangeRateSet(input: $input) {{
  exchangeRate {{ id currency validOn rate }} {ERRORS} }} }}"""
RATES = """query($currency: String) { exchangeRates(first: 10, filter: {currency: $currency}) {
  edges { node { currency validOn rate } } } }"""


def months_back(count: int) -> date:
    """The first day of the month `count` months before the current one (UTC)."""
    month = closing.today().replace(day=1)
    for _ in range(count):
        month = periods.month_of(month - timedelta(days=1))
    return month


def finance(world: World) -> Viewer:
    return Viewer(world.rep_employee, "sam@example.com", frozenset({"finance"}))


async def account(db: asyncpg.Connection, code: str) -> str:
    return World.gid(
        "Account", await db.fetchval("SELECT id FROM finance.account WHERE code = $1", code)
    )


async def post_entry(
    execute: Execute, db: asyncpg.Connection, on: date, debit: str, credit: str, amount: str
) -> dict[str, Any]:
    """A manual entry of `amount` from account `credit` to account `debit` (codes)."""
    result = await execute(
        POST_ENTRY,
        {
            "input": {
                "date": on.isoformat(),
                "description": f"{debit} against {credit}",
                "lines": [
                    {"account": await account(db, debit), "debit": amount},
                    {"account": await account(db, credit), "credit": amount},
                ],
            }
        },
    )
    return result["journalEntryPost"]  # type: ignore[no-any-return]


async def close(execute: Execute, month: date, viewer: Viewer | None = None) -> dict[str, Any]:
    result = await execute(CLOSE, {"month": month.isoformat()}, viewer=viewer)
    return result["periodClose"]  # type: ignore[no-any-return]


async def reopen(
    execute: Execute, month: date, reason: str = "Late supplier bill", viewer: Viewer | None = None
) -> dict[str, Any]:
    result = await execute(REOPEN, {"month": month.isoformat(), "reason": reason}, viewer=viewer)
    return result["periodReopen"]  # type: ignore[no-any-return]


async def entries(db: asyncpg.Connection, kind: str) -> list[asyncpg.Record]:
    return await db.fetch(
        "SELECT e.id, e.number, e.entry_date, e.reverses_id FROM finance.journal_entry e "
        "WHERE e.kind = $1 ORDER BY e.id",
        kind,
    )


async def profit_and_loss_balance(db: asyncpg.Connection, year: int) -> Decimal:
    """What income and expense accounts hold over the year (zero once the year is closed)."""
    return await db.fetchval(  # type: ignore[no-any-return]
        "SELECT coalesce(sum(l.debit - l.credit), 0) FROM finance.journal_line l "
        "JOIN finance.account a ON a.id = l.account_id "
        "WHERE a.type IN ('income', 'expense') AND extract(year FROM l.entry_date) = $1",
        year,
    )


async def balance(db: asyncpg.Connection, purpose: str, through: date | None = None) -> Decimal:
    return await db.fetchval(  # type: ignore[no-any-return]
        "SELECT coalesce(sum(l.debit - l.credit), 0) FROM finance.journal_line l "
        "JOIN finance.account a ON a.id = l.account_id "
        "WHERE a.purpose = $1 AND ($2::date IS NULL OR l.entry_date <= $2)",
        purpose,
        through,
    )


async def test_only_the_first_day_of_a_month_that_has_ended_closes(
    execute: Execute, db: asyncpg.Connection
) -> None:
    before = await row_counts(db)
    this_month = await close(execute, months_back(0))
    mid_month = await close(execute, months_back(1) + timedelta(days=14))
    assert [(e["field"], e["code"]) for e in this_month["errors"]] == [("month", "VALIDATION")]
    assert "has not ended" in this_month["errors"][0]["message"]
    assert [(e["field"], e["code"]) for e in mid_month["errors"]] == [("month", "VALIDATION")]
    assert await row_counts(db) == before


async def test_a_close_closes_every_open_month_before_it_and_freezes_their_totals(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    first, last = months_back(3), months_back(1)
    assert (await post_entry(execute, db, first + timedelta(days=4), "1100", "3100", "5000.00"))[
        "errors"
    ] == []
    assert (await post_entry(execute, db, last + timedelta(days=2), "6200", "1100", "1200.00"))[
        "errors"
    ] == []

    closed = await close(execute, last, viewer=finance(world))
    assert closed["errors"] == []
    assert closed["accountingPeriod"] == {
        "month": last.isoformat(),
        "closedBy": {"name": "Sam Sales"},
    }
    listed = await execute(PERIODS)
    assert listed["booksClosedThrough"] == last.isoformat()
    assert [edge["node"]["month"] for edge in listed["accountingPeriods"]["edges"]] == [
        months_back(1).isoformat(),
        months_back(2).isoformat(),
        months_back(3).isoformat(),
    ]
    # Every closed month's totals are exactly what its lines add up to, account by account.
    frozen = await db.fetch(
        "SELECT account_id, month, debit, credit FROM finance.account_month_total "
        "ORDER BY month, account_id"
    )
    summed = await db.fetch(
        "SELECT account_id, date_trunc('month', entry_date)::date AS month, sum(debit) AS debit, "
        "sum(credit) AS credit FROM finance.journal_line WHERE entry_date <= $1 "
        "GROUP BY 1, 2 ORDER BY 2, 1",
        periods.month_end(last),
    )
    assert [tuple(row) for row in frozen] == [tuple(row) for row in summed]
    assert len(frozen) >= 4

    again = await close(execute, last)
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("month", "INVALID_TRANSITION")]


async def test_an_entry_by_hand_in_a_closed_month_is_refused(
    execute: Execute, db: asyncpg.Connection
) -> None:
    assert (await close(execute, months_back(1)))["errors"] == []
    before = await row_counts(db)
    for day in (months_back(1) + timedelta(days=9), months_back(2)):
        refused = await post_entry(execute, db, day, "6200", "1100", "10.00")
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [("date", "PERIOD_CLOSED")]
        assert refused["journalEntry"] is None
    assert await row_counts(db) == before
    assert (await post_entry(execute, db, months_back(0), "6200", "1100", "10.00"))["errors"] == []


async def test_an_event_of_a_closed_month_posts_on_the_first_open_day(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    last = months_back(1)
    assert (await close(execute, last))["errors"] == []
    customer = await create_customer(execute, country="DE")
    item = await create_item(execute, world, sku="GEAR-1", price="20.00", stock=5)
    order = (await place(execute, world, customer["id"], [(item, 1)]))["salesOrder"]
    shipped = (await execute(SHIP, {"input": {"salesOrder": order["id"]}}))["deliveryCreate"]
    await execute(DELIVERED, {"id": shipped["delivery"]["id"]})
    invoice = (await execute(INVOICE, {"input": {"salesOrder": order["id"]}}))["invoiceIssue"]
    received = datetime.combine(last + timedelta(days=14), time(12), tzinfo=UTC)
    paid = await execute(
        PAY,
        {
            "input": {
                "invoice": invoice["invoice"]["id"],
                "amount": "5.00",
                "receivedAt": received.isoformat(),
            }
        },
    )
    assert paid["paymentRecord"]["errors"] == []
    entry = await db.fetchrow(
        "SELECT entry_date, document_date FROM finance.journal_entry WHERE event = 'payment.recorded'"
    )
    assert (entry["entry_date"], entry["document_date"]) == (months_back(0), received.date())
    lines = await db.fetch(
        "SELECT DISTINCT l.entry_date FROM finance.journal_line l JOIN finance.journal_entry e "
        "ON e.id = l.entry_id WHERE e.event = 'payment.recorded'"
    )
    assert [row["entry_date"] for row in lines] == [months_back(0)]


async def test_the_year_end_close_moves_the_result_to_retained_earnings_and_reopens(
    execute: Execute, world: World, db: asyncpg.Connection
) -> None:
    december = date(closing.today().year - 1, 12, 1)
    # Income of 1,000.00 and rent of 300.00: a profit of 700.00.
    for debit, credit, amount in (("1100", "4100", "1000.00"), ("6200", "1100", "300.00")):
        assert (await post_entry(execute, db, date(december.year, 12, 10), debit, credit, amount))[
            "errors"
        ] == []
    assert (await close(execute, december))["errors"] == []
    closings = await entries(db, "closing")
    assert [row["entry_date"] for row in closings] == [date(december.year, 12, 31)]
    assert await profit_and_loss_balance(db, december.year) == 0
    assert await balance(db, "retained_earnings") == Decimal("-700.00")

    forbidden = await reopen(execute, december, viewer=finance(world))
    assert [e["code"] for e in forbidden["errors"]] == ["FORBIDDEN"]
    unexplained = await reopen(execute, december, reason="  ")
    assert [(e["field"], e["code"]) for e in unexplained["errors"]] == [("reason", "VALIDATION")]
    assert await db.fetchval("SELECT count(*) FROM finance.closed_period") == 1

    reopened = await reopen(execute, december)
    assert reopened == {"accountingPeriod": None, "errors": []}
    assert await db.fetchval("SELECT count(*) FROM finance.closed_period") == 0
    assert await db.fetchval("SELECT count(*) FROM finance.account_month_total") == 0
    reversals = await entries(db, "reversal")
    assert [(row["reverses_id"], row["entry_date"]) for row in reversals] == [
        (closings[0]["id"], date(december.year, 12, 31))
    ]
    assert await profit_and_loss_balance(db, december.year) == Decimal("-700.00")
    audit = await db.fetchrow(
        "SELECT actor, changes FROM ops.audit_log WHERE action = 'period.reopened'"
    )
    assert audit["actor"] == "ada@example.com"
    assert '"Late supplier bill"' in audit["changes"]
    not_closed = await reopen(execute, december)
    assert [(e["field"], e["code"]) for e in not_closed["errors"]] == [
        ("month", "INVALID_TRANSITION")
    ]

    # A correction in the reopened month, then a fresh close with a fresh closing entry.
    assert (await post_entry(execute, db, date(december.year, 12, 20), "6300", "1100", "50.00"))[
        "errors"
    ] == []
    assert (await close(execute, december))["errors"] == []
    assert len(await entries(db, "closing")) == 2
    assert await profit_and_loss_balance(db, december.year) == 0
    assert await balance(db, "retained_earnings") == Decimal("-650.00")


async def test_a_close_revalues_open_foreign_invoices_and_reverses_it_next_month(
    execute: Execute, world: World, db: asyncpg.Connection, engine: AsyncEngine
) -> None:
    month = months_back(1)
    month_end = periods.month_end(month)
    for valid_on, rate in ((month, "0.90"), (month_end, "0.95")):
        result = await execute(
            SET_RATE, {"input": {"currency": "USD", "validOn": valid_on.isoformat(), "rate": rate}}
        )
        assert result["exchangeRateSet"]["errors"] == []
    customer = key((await create_customer(execute, country="US"))["id"])
    invoice_id = await db.fetchval(
        "INSERT INTO erp.invoice (number, customer_id, currency, issued_on, due_on, subtotal, "
        "tax_total, total) VALUES ('INV-USD-1', $1, 'USD', $2, $2, 100, 19, 119) RETURNING id",
        customer,
        month + timedelta(days=4),
    )
    # Booked as the posting rule books it: 119.00 USD at 0.90 is 107.10 EUR receivable.
    async with session_factory(engine)() as session, session.begin():
        journal = Journal(actor=Viewer.system())
        await posting_rules.invoice_issued(
            session, journal, Entry("invoice.issued", "invoice", invoice_id, customer, {})
        )
    assert await balance(db, "receivable") == Decimal("107.10")

    assert (await close(execute, month))["errors"] == []
    (revaluation,) = await entries(db, "revaluation")
    assert revaluation["entry_date"] == month_end
    lines = await db.fetch(
        "SELECT a.purpose, l.debit, l.credit, l.currency, l.amount_currency, l.customer_id, "
        "l.invoice_id FROM finance.journal_line l JOIN finance.account a ON a.id = l.account_id "
        "WHERE l.entry_id = $1 ORDER BY l.line_no",
        revaluation["id"],
    )
    assert [tuple(line) for line in lines] == [
        ("receivable", Decimal("5.95"), Decimal("0"), "USD", Decimal("0"), customer, invoice_id),
        (
            "exchange_differences",
            Decimal("0"),
            Decimal("5.95"),
            "EUR",
            Decimal("-5.95"),
            None,
            None,
        ),
    ]
    # 119.00 USD at 0.95 at the month end; back at booked value from the next day.
    assert await balance(db, "receivable", month_end) == Decimal("113.05")
    assert await balance(db, "receivable") == Decimal("107.10")
    (automatic,) = await entries(db, "reversal")
    assert (automatic["reverses_id"], automatic["entry_date"]) == (
        revaluation["id"],
        months_back(0),
    )

    # Reopening undoes both; closing again revalues afresh (at a rate corrected meanwhile).
    assert (await reopen(execute, month))["errors"] == []
    assert await balance(db, "exchange_differences") == 0
    assert len(await entries(db, "reversal")) == 3
    await execute(
        SET_RATE, {"input": {"currency": "USD", "validOn": month_end.isoformat(), "rate": "1"}}
    )
    assert (await close(execute, month))["errors"] == []
    assert len(await entries(db, "revaluation")) == 2
    assert await balance(db, "receivable", month_end) == Decimal("119.00")
    assert await balance(db, "receivable") == Decimal("107.10")


async def test_a_close_needs_the_month_end_rate_of_every_open_foreign_invoice(
    execute: Execute, world: World, db: asyncpg.Connection, engine: AsyncEngine
) -> None:
    month = months_back(1)
    customer = key((await create_customer(execute, country="GB"))["id"])
    invoice_id = await db.fetchval(
        "INSERT INTO erp.invoice (number, customer_id, currency, issued_on, due_on, subtotal, "
        "tax_total, total) VALUES ('INV-GBP-1', $1, 'GBP', $2, $2, 10, 0, 10) RETURNING id",
        customer,
        month,
    )
    async with session_factory(engine)() as session, session.begin():
        await posting.post(
            session,
            posting.Posting(
                "SAL",
                month,
                "Invoice INV-GBP-1",
                posting.converted(
                    [
                        posting.debit("receivable", Decimal("10"), invoice_id=invoice_id),
                        posting.credit("revenue", Decimal("10")),
                    ],
                    "GBP",
                    Decimal("1.15"),
                ),
            ),
            employee_id=None,
        )
    before = await row_counts(db)
    refused = await close(execute, month)
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("month", "NO_RATE")]
    assert await row_counts(db) == before


async def test_a_close_waits_for_a_posting_in_flight(
    clean_db: AsyncEngine, database_url: str
) -> None:
    month = months_back(1)
    impatient = create_engine(database_url, pool_size=1, lock_timeout_ms=200)
    journal = Journal(actor=Viewer.system())
    try:
        async with session_factory(clean_db)() as posting_session, posting_session.begin():
            await posting.post(
                posting_session,
                posting.Posting(
                    "GEN",
                    month,
                    "Accrued rent",
                    [
                        posting.debit("bank", Decimal("1")),
                        posting.credit("revenue", Decimal("1")),
                    ],
                ),
                employee_id=None,
            )
            # The posting holds the books' shared lock until it commits: the close waits.
            async with session_factory(impatient)() as closing_session:
                with pytest.raises(DBAPIError, match="lock timeout"):
                    async with closing_session.begin():
                        await closing.close(session=closing_session, journal=journal, month=month)
        async with session_factory(impatient)() as closing_session, closing_session.begin():
            await closing.close(session=closing_session, journal=journal, month=month)
        async with clean_db.connect() as connection:
            totals = await connection.exec_driver_sql(
                "SELECT sum(debit), sum(credit) FROM finance.account_month_total"
            )
            assert tuple(totals.one()) == (Decimal("1.00"), Decimal("1.00"))
    finally:
        await impatient.dispose()


async def test_a_posting_that_read_the_month_open_is_refused_once_the_close_commits(
    clean_db: AsyncEngine, db: asyncpg.Connection
) -> None:
    month = months_back(1)
    sessions = session_factory(clean_db)

    async def accrue() -> None:
        async with sessions() as session, session.begin():
            await posting.post(
                session,
                posting.Posting(
                    "GEN",
                    month + timedelta(days=5),
                    "Accrued income",
                    [posting.debit("bank", Decimal("2")), posting.credit("revenue", Decimal("2"))],
                ),
                employee_id=None,
            )

    async with sessions() as session:
        transaction = await session.begin()
        await closing.close(session=session, journal=Journal(actor=Viewer.system()), month=month)
        posted = asyncio.create_task(accrue())
        # Commit only once the posting, which read the month open, waits for the close.
        for _ in range(10_000):
            if await db.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"):
                break
            assert not posted.done()
        else:
            pytest.fail("the posting never waited for the close")
        await transaction.commit()
    with pytest.raises(DomainError) as refused:
        await posted
    assert refused.value.code == "PERIOD_CLOSED"
    assert await db.fetchval("SELECT count(*) FROM finance.journal_line") == 0


async def test_exchange_rates_are_checked_recorded_and_listed(
    execute: Execute, world: World
) -> None:
    cases = [
        ({"currency": "ABC", "rate": "1.1"}, [("currency", "VALIDATION")]),
        ({"currency": "EUR", "rate": "1"}, [("currency", "VALIDATION")]),
        ({"currency": "USD", "rate": "0"}, [("rate", "VALIDATION")]),
        ({"currency": "USD", "rate": "1.123456789"}, [("rate", "VALIDATION")]),
    ]
    for given, expected in cases:
        result = await execute(SET_RATE, {"input": {"validOn": "2026-01-02", **given}})
        payload = result["exchangeRateSet"]
        assert [(e["field"], e["code"]) for e in payload["errors"]] == expected, given
        assert payload["exchangeRate"] is None

    first = await execute(
        SET_RATE, {"input": {"currency": " usd", "validOn": "2026-01-02", "rate": "0.91"}}
    )
    replaced = await execute(
        SET_RATE, {"input": {"currency": "USD", "validOn": "2026-01-02", "rate": "0.92"}}
    )
    assert replaced["exchangeRateSet"]["exchangeRate"] == {
        "id": first["exchangeRateSet"]["exchangeRate"]["id"],
        "currency": "USD",
        "validOn": "2026-01-02",
        "rate": "0.92000000",
    }
    await execute(SET_RATE, {"input": {"currency": "GBP", "validOn": "2026-01-05", "rate": "1.17"}})
    listed = await execute(RATES, {"currency": "usd"}, viewer=world.rep)
    assert [edge["node"]["currency"] for edge in listed["exchangeRates"]["edges"]] == ["USD"]
    denied = await execute(
        SET_RATE,
        {"input": {"currency": "USD", "validOn": "2026-01-03", "rate": "0.93"}},
        viewer=world.rep,
    )
    assert [e["code"] for e in denied["exchangeRateSet"]["errors"]] == ["FORBIDDEN"]


def test_months_run_in_order_across_the_year_end() -> None:
    assert list(closing.months_from(date(2025, 11, 17), date(2026, 2, 1))) == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert list(closing.months_from(date(2026, 3, 1), date(2026, 2, 1))) == []
