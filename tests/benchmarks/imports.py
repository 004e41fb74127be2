"""How fast `bizgraph import` moves a company in, and how fast it finds nothing to do.

    python -m tests.benchmarks.imports [--customers 100000] [--contacts-per-customer 2]
                                       [--orders 1000000] [--items 500] [--bulk]

Writes CSV files of a generated company (customers, contacts, stock items, then sales history:
orders with one to three lines, an invoice for every fulfilled order, payments for most of
them), imports them into a scratch database (on DATABASE_URL's server, or an embedded one)
with the `bizgraph import` command, kind after kind as a migration would, then imports the
same files again. Prints seconds, records per second and the command's peak memory per
file, and the totals of both runs.
"""

import argparse
import asyncio
import csv
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import asyncpg

from domain.core.sessions import asyncpg_dsn
from tests.benchmarks.scratch import scratch_database

TIERS = ("bronze", "silver", "gold", "platinum")
COUNTRIES = ("DE", "FR", "NL", "GB", "SE", "PL", "ES", "IT")
CATEGORIES = ("hardware", "software", "services", "consumables", "accessories")
CENT = Decimal("0.01")
START = datetime(2022, 1, 1, tzinfo=UTC)
HISTORY_DAYS = 3 * 365


def _writer(folder: Path, kind: str, header: str) -> tuple[object, "csv._writer"]:
    handle = (folder / f"{kind}.csv").open("w", newline="", encoding="utf-8")
    out = csv.writer(handle)
    out.writerow(header.split(","))
    return handle, out


def write_files(
    folder: Path, customers: int, per_customer: int, orders: int, items: int
) -> dict[str, int]:
    """The files, kind by kind in import order, with their record counts."""
    rng = random.Random(7)
    counts: dict[str, int] = {}
    handle, out = _writer(
        folder, "customers", "external_id,name,email,country,tier,status,credit_limit"
    )
    for n in range(customers):
        out.writerow(
            [
                f"K-{n}",
                f"Customer {n} GmbH",
                f"buy{n}@customer.example",
                rng.choice(COUNTRIES),
                rng.choice(TIERS),
                "active",
                f"{rng.randint(1, 500) * 100}.00",
            ]
        )
    handle.close()  # type: ignore[attr-defined]
    counts["customers"] = customers
    handle, out = _writer(
        folder, "contacts", "external_id,customer_external_id,first_name,last_name,email"
    )
    for n in range(customers):
        for k in range(per_customer):
            out.writerow([f"P-{n}-{k}", f"K-{n}", f"First{k}", f"Last{n}", f"p{n}.{k}@c.example"])
    handle.close()  # type: ignore[attr-defined]
    counts["contacts"] = customers * per_customer
    prices = [Decimal(rng.randint(100, 99_900)) / 100 for _ in range(items)]
    handle, out = _writer(
        folder, "stock_items", "external_id,sku,name,category,unit_price,unit_cost"
    )
    for n, price in enumerate(prices):
        cost = (price * Decimal("0.6")).quantize(CENT)
        out.writerow([f"I-{n}", f"SKU-{n:05d}", f"Item {n}", CATEGORIES[n % 5], price, cost])
    handle.close()  # type: ignore[attr-defined]
    counts["stock_items"] = items
    counts.update(_write_history(folder, rng, customers, orders, prices))
    return counts


def _write_history(
    folder: Path, rng: random.Random, customers: int, orders: int, prices: list[Decimal]
) -> dict[str, int]:
    files = {
        "sales_orders": "external_id,customer_external_id,warehouse,status,tax_rate,ordered_at,"
        "cancelled_at",
        "sales_order_lines": "external_id,order_external_id,line_no,stock_item_external_id,"
        "quantity,list_price,discount_percent,unit_price,tax_amount",
        "invoices": "external_id,order_external_id,issued_on,due_on",
        "payments": "external_id,invoice_external_id,amount,method,received_at",
    }
    opened = {kind: _writer(folder, kind, header) for kind, header in files.items()}
    out = {kind: writer for kind, (_, writer) in opened.items()}
    counts = dict.fromkeys(files, 0)
    tax_rate = Decimal("0.19")
    for n in range(orders):
        ordered = START + timedelta(seconds=rng.randrange(HISTORY_DAYS * 86_400))
        cancelled = rng.random() < 0.05
        out["sales_orders"].writerow(  # type: ignore[attr-defined]
            [
                f"O-{n}",
                f"K-{rng.randrange(customers)}",
                "MAIN",
                "cancelled" if cancelled else "fulfilled",
                tax_rate,
                ordered.isoformat(),
                (ordered + timedelta(hours=2)).isoformat() if cancelled else "",
            ]
        )
        total = Decimal(0)
        for line_no in range(1, rng.randint(1, 3) + 1):
            item = rng.randrange(len(prices))
            quantity = rng.randint(1, 20)
            line_total = prices[item] * quantity
            tax = (line_total * tax_rate).quantize(CENT, ROUND_HALF_UP)
            total += line_total + tax
            out["sales_order_lines"].writerow(  # type: ignore[attr-defined]
                [
                    f"O-{n}/{line_no}",
                    f"O-{n}",
                    line_no,
                    f"I-{item}",
                    quantity,
                    prices[item],
                    0,
                    prices[item],
                    tax,
                ]
            )
            counts["sales_order_lines"] += 1
        counts["sales_orders"] += 1
        if cancelled:
            continue
        issued = ordered.date() + timedelta(days=1)
        out["invoices"].writerow(  # type: ignore[attr-defined]
            [f"F-{n}", f"O-{n}", issued.isoformat(), (issued + timedelta(days=30)).isoformat()]
        )
        counts["invoices"] += 1
        if rng.random() < 0.9:
            received = datetime.combine(issued, datetime.min.time(), UTC) + timedelta(
                days=rng.randint(5, 40)
            )
            out["payments"].writerow(  # type: ignore[attr-defined]
                [f"Z-{n}", f"F-{n}", total, "bank_transfer", received.isoformat()]
            )
            counts["payments"] += 1
    for handle, _ in opened.values():
        handle.close()  # type: ignore[attr-defined]
    return counts


def timed_import(
    database_url: str, kind: str, path: Path, *, bulk: bool = False
) -> tuple[float, str, int]:
    """Seconds, the command's summary line and its peak memory (KiB)."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "api.cli", "import", kind, str(path), "--source", "bench"]
    result = subprocess.run(
        command + (["--bulk"] if bulk else []),
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    counts = next(line for line in result.stdout.splitlines() if " unchanged" in line)
    return seconds, counts.strip(), peak


async def _warehouse(database_url: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute("INSERT INTO erp.warehouse (code, name) VALUES ('MAIN', 'Main')")
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="Import speed, first run and again.")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--contacts-per-customer", type=int, default=2)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument(
        "--bulk", action="store_true", help="the first run with `--bulk` (the second never)"
    )
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder, scratch_database("bizgraph-import") as url:
        started = time.perf_counter()
        counts = write_files(
            Path(folder), args.customers, args.contacts_per_customer, args.orders, args.items
        )
        print(f"files written in {time.perf_counter() - started:.1f} s")
        asyncio.run(_warehouse(url))
        print("| run | kind | records | seconds | records/s | result | peak memory MiB |")
        print("|---|---|---|---|---|---|---|")
        totals = {}
        for run in ("first", "again"):
            total = 0.0
            for kind, records in counts.items():
                seconds, summary, peak = timed_import(
                    url, kind, Path(folder) / f"{kind}.csv", bulk=args.bulk and run == "first"
                )
                total += seconds
                print(
                    f"| {run} | {kind} | {records:,} | {seconds:.1f} | {records / seconds:,.0f} "
                    f"| {summary} | {peak / 1024:.0f} |",
                    flush=True,
                )
            totals[run] = total
        print(
            f"all files: first run {totals['first']:.1f} s, again {totals['again']:.1f} s "
            f"({totals['again'] / totals['first']:.1%} of the first)"
        )


if __name__ == "__main__":
    main()
