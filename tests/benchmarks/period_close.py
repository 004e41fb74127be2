"""How long closing the books takes on a large ledger.

    python -m tests.benchmarks.period_close [--lines 10000000] [--months 60]

Generates a ledger in a scratch database (on DATABASE_URL's server, or an embedded one):
invoices (one in 33 in USD) with three lines each, a payment for each a month later, and
two-line entries of stock and expenses filling the rest, spread evenly over `--months`
months up to today. Then times, each in one transaction with the API's statement timeout:
the first close of all but the last ended month (nothing closed before), the close of the
last ended month alone, a reopening of the last 13 months and closing them again.
"""

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from sqlalchemy import text

from api.settings import Settings
from domain.core.access import Viewer
from domain.core.journal import Journal
from domain.core.sessions import Session, asyncpg_dsn, create_engine, session_factory
from domain.finance import closing, periods
from tests.benchmarks.scratch import scratch_database

_GENERATE = """
SET session_replication_role = replica;
INSERT INTO crm.customer (code, name) SELECT 'B' || g, 'Customer ' || g
FROM generate_series(1, 1000) g;
INSERT INTO finance.exchange_rate (currency, valid_on, rate) VALUES ('USD', '2000-01-01', 0.9);
CREATE TEMP TABLE p AS SELECT
  (SELECT id FROM finance.account WHERE purpose = 'receivable') AS receivable,
  (SELECT id FROM finance.account WHERE purpose = 'revenue') AS revenue,
  (SELECT id FROM finance.account WHERE purpose = 'output_vat') AS vat,
  (SELECT id FROM finance.account WHERE purpose = 'bank') AS bank,
  (SELECT id FROM finance.account WHERE purpose = 'inventory') AS inventory,
  (SELECT id FROM finance.account WHERE purpose = 'cost_of_goods_sold') AS cogs,
  (SELECT id FROM finance.account WHERE code = '6200') AS rent,
  (SELECT id FROM finance.journal WHERE code = 'GEN') AS journal,
  CAST({start} AS date) AS start, {days} AS days, {invoices} AS invoices, {fillers} AS fillers;
INSERT INTO erp.invoice (id, number, customer_id, currency, issued_on, due_on, subtotal,
  tax_total, total)
SELECT g, 'B-' || g, 1 + g % 1000, CASE WHEN g % 33 = 0 THEN 'USD' ELSE 'EUR' END,
  p.start + (g::bigint * p.days / p.invoices)::int, p.start + (g::bigint * p.days / p.invoices)::int, 100, 19, 119
FROM p, generate_series(1, (SELECT invoices FROM p)) g;
CREATE TEMP TABLE e AS
SELECT g AS id, 'invoice' AS what, g AS invoice_id, p.start + (g::bigint * p.days / p.invoices)::int AS day
FROM p, generate_series(1, (SELECT invoices FROM p)) g
UNION ALL
SELECT p.invoices + g, 'payment', g, p.start + (g::bigint * p.days / p.invoices)::int + 30
FROM p, generate_series(1, (SELECT invoices FROM p)) g
WHERE p.start + (g::bigint * p.days / p.invoices)::int + 30 < current_date
UNION ALL
SELECT 2 * p.invoices + g, CASE WHEN g % 2 = 0 THEN 'stock' ELSE 'rent' END, NULL,
  p.start + (g::bigint * p.days / p.fillers)::int
FROM p, generate_series(1, (SELECT fillers FROM p)) g;
INSERT INTO finance.journal_entry (id, number, journal_id, kind, entry_date, document_date,
  description)
SELECT e.id, 'GEN-' || lpad(e.id::text, 8, '0'), p.journal, 'posting', e.day, e.day, e.what
FROM e, p ORDER BY e.day;
INSERT INTO finance.journal_line (entry_id, line_no, account_id, entry_date, debit, credit,
  currency, amount_currency, customer_id, invoice_id)
SELECT e.id, l.no, l.account, e.day, greatest(l.amount * r.rate, 0),
  greatest(-l.amount * r.rate, 0), r.currency, l.amount, l.customer, l.invoice
FROM e CROSS JOIN p
CROSS JOIN LATERAL (
  SELECT CASE WHEN e.invoice_id % 33 = 0 THEN 'USD' ELSE 'EUR' END AS currency,
    CASE WHEN e.invoice_id % 33 = 0 THEN 0.9 ELSE 1 END AS rate
) r
CROSS JOIN LATERAL (VALUES
  (1, CASE e.what WHEN 'invoice' THEN p.receivable WHEN 'payment' THEN p.bank
     WHEN 'stock' THEN p.cogs ELSE p.rent END,
   CASE WHEN e.what IN ('invoice', 'payment') THEN 119 ELSE e.id % 500 + 1 END,
   1 + e.invoice_id % 1000, e.invoice_id),
  (2, CASE e.what WHEN 'invoice' THEN p.revenue WHEN 'payment' THEN p.receivable
     WHEN 'stock' THEN p.inventory ELSE p.bank END,
   CASE WHEN e.what = 'invoice' THEN -100 WHEN e.what = 'payment' THEN -119
     ELSE -(e.id % 500 + 1) END,
   1 + e.invoice_id % 1000, e.invoice_id),
  (3, CASE WHEN e.what = 'invoice' THEN p.vat END, -19, NULL, NULL)
) AS l (no, account, amount, customer, invoice)
WHERE l.account IS NOT NULL
ORDER BY e.day, e.id, l.no;
SELECT setval(pg_get_serial_sequence('finance.journal_entry', 'id'),
  (SELECT max(id) FROM finance.journal_entry));
SET session_replication_role = origin;
ANALYZE;
"""


_TOTALS_DIFFER = """
SELECT count(*) FROM (
  (SELECT account_id, month, debit, credit FROM finance.account_month_total
   EXCEPT
   SELECT l.account_id, date_trunc('month', l.entry_date)::date, sum(l.debit), sum(l.credit)
   FROM finance.journal_line l JOIN finance.closed_period p
     ON p.month = date_trunc('month', l.entry_date)::date
   GROUP BY 1, 2)
  UNION ALL
  (SELECT l.account_id, date_trunc('month', l.entry_date)::date, sum(l.debit), sum(l.credit)
   FROM finance.journal_line l JOIN finance.closed_period p
     ON p.month = date_trunc('month', l.entry_date)::date
   GROUP BY 1, 2
   EXCEPT
   SELECT account_id, month, debit, credit FROM finance.account_month_total)
) AS differing
"""

_RESULT_LEFT = """
SELECT count(*) FROM (
  SELECT extract(year FROM l.entry_date) FROM finance.journal_line l
  JOIN finance.account a ON a.id = l.account_id
  WHERE a.type IN ('income', 'expense') AND EXISTS (
    SELECT 1 FROM finance.closed_period p
    WHERE p.month = make_date(extract(year FROM l.entry_date)::int, 12, 1))
  GROUP BY 1 HAVING sum(l.debit - l.credit) <> 0
) AS years
"""


def _first_days(months: int) -> tuple[date, date]:
    """The first day of the ledger and of the last ended month."""
    last = periods.month_of(closing.today()) - timedelta(days=1)
    first = periods.month_of(last)
    for _ in range(months - 1):
        first = periods.month_of(first - timedelta(days=1))
    return first, periods.month_of(last)


async def _generate(database_url: str, lines: int, months: int) -> int:
    import asyncpg

    start, _ = _first_days(months)
    invoices = lines // 10
    fillers = (lines - 5 * invoices) // 2
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            _GENERATE.format(
                start=f"'{start}'",
                days=(closing.today() - start).days,
                invoices=invoices,
                fillers=fillers,
            )
        )
        return int(await connection.fetchval("SELECT count(*) FROM finance.journal_line"))
    finally:
        await connection.close()


async def _timed(
    database_url: str, label: str, work: Callable[[Session, Journal], Awaitable[object]]
) -> None:
    settings = Settings()
    engine = create_engine(database_url, statement_timeout_ms=settings.statement_timeout_ms)
    try:
        started = time.perf_counter()
        async with session_factory(engine)() as session, session.begin():
            await work(session, Journal(actor=Viewer.system()))
        elapsed = time.perf_counter() - started
        async with engine.connect() as connection:
            closed = await connection.scalar(text("SELECT count(*) FROM finance.closed_period"))
        print(f"{label:<48} {elapsed:8.2f} s   ({closed} months closed)")
    finally:
        await engine.dispose()


async def _run(database_url: str, lines: int, months: int) -> None:
    started = time.perf_counter()
    written = await _generate(database_url, lines, months)
    print(f"ledger of {written:,} lines generated in {time.perf_counter() - started:.0f} s")
    _, last = _first_days(months)
    before_last = periods.month_of(last - timedelta(days=1))
    year_ago = periods.month_of(last - timedelta(days=360))
    await _timed(
        database_url,
        f"first close, through {before_last:%Y-%m}",
        lambda s, j: closing.close(session=s, journal=j, month=before_last),
    )
    await _timed(
        database_url,
        f"close of {last:%Y-%m} alone",
        lambda s, j: closing.close(session=s, journal=j, month=last),
    )
    await _timed(
        database_url,
        f"reopen from {year_ago:%Y-%m}",
        lambda s, j: closing.reopen(session=s, journal=j, month=year_ago, reason="benchmark"),
    )
    await _timed(
        database_url,
        f"close again through {last:%Y-%m}",
        lambda s, j: closing.close(session=s, journal=j, month=last),
    )
    await _check(database_url)


async def _check(database_url: str) -> None:
    """The frozen totals are the lines' sums, and every closed year's result was moved."""
    import asyncpg

    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        differing = await connection.fetchval(_TOTALS_DIFFER)
        unclosed = await connection.fetchval(_RESULT_LEFT)
    finally:
        await connection.close()
    assert differing == 0, f"{differing} account totals differ from their lines"
    assert unclosed == 0, f"{unclosed} closed years keep a result in income or expenses"
    print("checks: totals match the lines, closed years hold no result")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000_000)
    parser.add_argument("--months", type=int, default=60)
    args = parser.parse_args()
    with scratch_database("period-close") as database_url:
        asyncio.run(_run(database_url, args.lines, args.months))


if __name__ == "__main__":
    main()
