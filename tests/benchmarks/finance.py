"""What the books cost: posting overhead on order to cash, and reports on a large ledger.

    .venv/bin/python -m tests.benchmarks.finance --customers 100000 --cycles 200

1. Posting overhead. On a small company, the same order-to-cash cycle (place an order, ship
   it, record its arrival, invoice it, record a payment: five mutations) runs through the
   schema `--cycles` times with the posting rules and as many times without them,
   alternating in blocks so both see the same database and cache state; it prints the
   median and 90th percentile per cycle and the overhead.
2. Reports and close. It seeds the demo company (`--customers`, two years: its books are
   posted in bulk and closed through last month), then times `trialBalance` at month-ends
   and today, `receivablesAging` (totals and the first 50 customers), `balanceSheet` and
   `profitAndLoss`, each the median of `--repeat` runs, and finally reopens last month and
   closes it again, timing both.

DATABASE_URL's server is used if set (a scratch database is created and dropped), else an
embedded PostgreSQL.
"""

import argparse
import asyncio
import os
import platform
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import strawberry
from strawberry.relay import to_base64

from api.settings import Settings
from domain.core import journal as journal_module
from domain.core.access import Viewer
from domain.core.reads import ReadPool
from domain.core.sessions import create_engine, session_factory
from domain.demo.seed import seed_database
from domain.finance import periods
from schema.build import build_schema
from schema.core.context import AppState, Context
from schema.core.loaders import Loaders
from tests.benchmarks.read_api import percentile
from tests.benchmarks.scratch import scratch_database

Run = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

PLACE = """mutation($input: SalesOrderPlaceInput!) { salesOrderPlace(input: $input) {
  salesOrder { id } errors { code message } } }"""
SHIP = """mutation($input: DeliveryCreateInput!) { deliveryCreate(input: $input) {
  delivery { id } errors { code message } } }"""
ARRIVED = """mutation($input: DeliveryMarkDeliveredInput!) { deliveryMarkDelivered(input: $input) {
  delivery { id } errors { code message } } }"""
INVOICE = """mutation($input: InvoiceIssueInput!) { invoiceIssue(input: $input) {
  invoice { id total } errors { code message } } }"""
PAY = """mutation($input: PaymentRecordInput!) { paymentRecord(input: $input) {
  payment { id } errors { code message } } }"""
CUSTOMER = """mutation { customerCreate(input: {name: "Ledger Bench GmbH", country: "DE"}) {
  customer { id } errors { code message } } }"""
ITEM = """mutation($input: StockItemCreateInput!) { stockItemCreate(input: $input) {
  stockItem { id } errors { code message } } }"""
ADJUST = """mutation($input: StockAdjustInput!) { stockAdjust(input: $input) {
  stockItem { id } errors { code message } } }"""
TRIAL_BALANCE = """query($asOf: Date!) { trialBalance(asOf: $asOf) { totalDebit totalCredit
  rows { account { code } balance } } }"""
AGING = """query($asOf: Date!) { receivablesAging(asOf: $asOf, first: 50) { total { total }
  customers { edges { node { customer { code } total } } } } }"""


def runner(schema: strawberry.Schema, state: AppState, viewer: Viewer) -> Run:
    async def run(document: str, variables: dict[str, Any]) -> dict[str, Any]:
        context = Context(
            state=state,
            viewer=viewer,
            request_id=uuid.uuid4().hex,
            loaders=Loaders(state.reads, viewer),
        )
        result = await schema.execute(document, variable_values=variables, context_value=context)
        assert result.errors is None, result.errors
        assert result.data is not None
        for payload in result.data.values():
            assert not (isinstance(payload, dict) and payload.get("errors")), payload
        return result.data

    return run


@contextmanager
def posting_rules_off() -> Iterator[None]:
    """The same operations without their ledger entries (the rules unregistered)."""
    saved = dict(journal_module._HANDLERS)
    journal_module._HANDLERS.clear()
    try:
        yield
    finally:
        journal_module._HANDLERS.update(saved)


async def order_to_cash(run: Run, customer: str, item: str, warehouse: str) -> None:
    order = await run(
        PLACE,
        {
            "input": {
                "customer": customer,
                "warehouse": warehouse,
                "lines": [{"stockItem": item, "quantity": 2}],
            }
        },
    )
    order_id = order["salesOrderPlace"]["salesOrder"]["id"]
    shipped = await run(SHIP, {"input": {"salesOrder": order_id}})
    await run(ARRIVED, {"input": {"id": shipped["deliveryCreate"]["delivery"]["id"]}})
    invoice = (await run(INVOICE, {"input": {"salesOrder": order_id}}))["invoiceIssue"]["invoice"]
    await run(PAY, {"input": {"invoice": invoice["id"], "amount": invoice["total"]}})


async def posting_overhead(database_url: str, cycles: int, block: int = 10) -> None:
    engine = create_engine(database_url, pool_size=5)
    reads = ReadPool(database_url, max_size=5)
    state = AppState(
        engine=engine, sessions=session_factory(engine), reads=reads, settings=Settings()
    )
    schema = build_schema()
    async with engine.begin() as connection:
        admin_id = (
            await connection.exec_driver_sql(
                "INSERT INTO erp.employee (name, email, title, hire_date, salary, status) "
                "VALUES ('Bench Admin', 'bench@example.com', 'Admin', '2020-01-01', 1, "
                "'active') RETURNING id"
            )
        ).scalar_one()
        warehouse_id = (
            await connection.exec_driver_sql(
                "INSERT INTO erp.warehouse (code, name) VALUES ('BW', 'Bench') RETURNING id"
            )
        ).scalar_one()
        await connection.exec_driver_sql(
            "INSERT INTO erp.price_list (name, currency, valid_from) "
            "VALUES ('Bench', 'EUR', '2000-01-01')"
        )
    run = runner(schema, state, Viewer(admin_id, "bench@example.com", frozenset({"admin"})))
    warehouse = to_base64("Warehouse", warehouse_id)
    customer = (await run(CUSTOMER, {}))["customerCreate"]["customer"]["id"]
    item = (
        await run(
            ITEM,
            {
                "input": {
                    "sku": "BENCH-1",
                    "name": "Bench item",
                    "category": "HARDWARE",
                    "unitPrice": "10.00",
                    "unitCost": "4.00",
                }
            },
        )
    )["stockItemCreate"]["stockItem"]["id"]
    await run(
        ADJUST,
        {
            "input": {
                "stockItem": item,
                "warehouse": warehouse,
                "quantity": 2 * cycles * 2 + 10,
                "reason": "Bench stock",
            }
        },
    )
    timings: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(2):  # warm-up: compiled statements, pools
        await order_to_cash(run, customer, item, warehouse)
    done = 0
    while done < cycles:
        for posting in (True, False):
            for _ in range(block):
                started = time.perf_counter()
                if posting:
                    await order_to_cash(run, customer, item, warehouse)
                else:
                    with posting_rules_off():
                        await order_to_cash(run, customer, item, warehouse)
                timings[posting].append((time.perf_counter() - started) * 1000)
        done += block
    with_books, without = timings[True], timings[False]
    print(f"| order to cash (5 mutations), {len(with_books)} cycles each | median ms | p90 ms |")
    print("|---|---|---|")
    print(f"| without posting | {statistics.median(without):.1f} | {percentile(without, 90):.1f} |")
    print(
        f"| with posting | {statistics.median(with_books):.1f} | {percentile(with_books, 90):.1f} |"
    )
    overhead = statistics.median(with_books) / statistics.median(without) - 1
    print(f"\nposting overhead (median): {overhead * 100:.1f} %", flush=True)
    await reads.close()
    await engine.dispose()


CLOSE = """mutation($month: Date!) { periodClose(input: {month: $month}) {
  accountingPeriod { month } errors { code message } } }"""
REOPEN = """mutation($month: Date!) { periodReopen(input: {month: $month, reason: "Benchmark"}) {
  errors { code message } } }"""
BALANCE_SHEET = """query($asOf: Date!) { balanceSheet(asOf: $asOf) { totalAssets
  totalLiabilitiesAndEquity balanced } }"""
PROFIT_AND_LOSS = """query($from: Date!, $to: Date!, $cf: Date!, $ct: Date!) {
  profitAndLoss(from: $from, to: $to, compareFrom: $cf, compareTo: $ct) { netResult
  compareNetResult } }"""


async def timed(run: Run, document: str, variables: dict[str, Any], repeat: int) -> float:
    """Median milliseconds of `repeat` runs after one warm-up run."""
    await run(document, variables)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run(document, variables)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


async def reports(database_url: str, customers: int, repeat: int) -> None:
    started = time.perf_counter()
    seeded = await seed_database(database_url, customers=customers)
    print(f"{seeded} ({time.perf_counter() - started:.1f} s in all)", flush=True)
    engine = create_engine(database_url, pool_size=5)
    reads = ReadPool(database_url, max_size=5)
    state = AppState(
        engine=engine, sessions=session_factory(engine), reads=reads, settings=Settings()
    )
    schema = build_schema()
    async with engine.connect() as connection:
        employee = (
            await connection.exec_driver_sql("SELECT min(id) FROM erp.employee")
        ).scalar_one()
        lines = (
            await connection.exec_driver_sql("SELECT count(*) FROM finance.journal_line")
        ).scalar_one()
    run = runner(schema, state, Viewer(employee, "bench@example.com", frozenset({"admin"})))
    closed = seeded.closed_through
    assert closed is not None, "the demo closed no month"
    today = date.today()
    month_ends = [periods.month_end(closed), periods.month_end(closed.replace(month=1))]
    print(f"\n{lines:,} journal lines; closed through {closed:%Y-%m}\n")
    print(f"| report (median of {repeat}) | ms |")
    print("|---|---|")
    for as_of in [*month_ends, today]:
        label = "open day (today)" if as_of == today else f"month-end {as_of}"
        ms = await timed(run, TRIAL_BALANCE, {"asOf": as_of.isoformat()}, repeat)
        print(f"| trialBalance, {label} | {ms:.0f} |", flush=True)
    for as_of in (month_ends[0], today):
        ms = await timed(run, AGING, {"asOf": as_of.isoformat()}, repeat)
        print(f"| receivablesAging (totals + first 50), {as_of} | {ms:.0f} |", flush=True)
    ms = await timed(run, BALANCE_SHEET, {"asOf": today.isoformat()}, repeat)
    print(f"| balanceSheet, today | {ms:.0f} |", flush=True)
    year = closed.replace(month=1)
    last_year = year.replace(year=year.year - 1)
    variables = {
        "from": year.isoformat(),
        "to": periods.month_end(closed).isoformat(),
        "cf": last_year.isoformat(),
        "ct": periods.month_end(closed.replace(year=closed.year - 1)).isoformat(),
    }
    ms = await timed(run, PROFIT_AND_LOSS, variables, repeat)
    print(f"| profitAndLoss, year to date against last year | {ms:.0f} |", flush=True)

    reopened = time.perf_counter()
    await run(REOPEN, {"month": closed.isoformat()})
    reopen_s = time.perf_counter() - reopened
    closing_started = time.perf_counter()
    await run(CLOSE, {"month": closed.isoformat()})
    close_s = time.perf_counter() - closing_started
    print(
        f"\nreopen {closed:%Y-%m}: {reopen_s:.1f} s; month-end close of {closed:%Y-%m}: "
        f"{close_s:.1f} s",
        flush=True,
    )
    await reads.close()
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--skip-reports", action="store_true")
    arguments = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    with scratch_database("bizgraph-bench-finance") as database_url:
        asyncio.run(posting_overhead(database_url, arguments.cycles))
    if not arguments.skip_reports:
        with scratch_database("bizgraph-bench-books") as database_url:
            asyncio.run(reports(database_url, arguments.customers, arguments.repeat))


if __name__ == "__main__":
    main()
