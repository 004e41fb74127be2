"""How fast `bizgraph import` writes customers and contacts, and how fast it finds nothing to do.

    python -m tests.benchmarks.imports [--customers 100000] [--contacts-per-customer 2]

Writes CSV files of generated customers and contacts, imports them into a scratch database
(on DATABASE_URL's server, or an embedded one) with the `bizgraph import` command, then
imports the same files again, and prints seconds, records per second and the command's
peak memory for each run.
"""

import argparse
import csv
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks.scratch import scratch_database

TIERS = ("bronze", "silver", "gold", "platinum")
COUNTRIES = ("DE", "FR", "NL", "GB", "SE", "PL", "ES", "IT")


def write_files(folder: Path, customers: int, per_customer: int) -> tuple[Path, Path]:
    rng = random.Random(7)
    customer_file, contact_file = folder / "customers.csv", folder / "contacts.csv"
    with customer_file.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["external_id", "name", "email", "country", "tier", "status", "credit_limit"])
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
    with contact_file.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["external_id", "customer_external_id", "first_name", "last_name", "email"])
        for n in range(customers):
            for k in range(per_customer):
                out.writerow(
                    [f"P-{n}-{k}", f"K-{n}", f"First{k}", f"Last{n}", f"p{n}.{k}@c.example"]
                )
    return customer_file, contact_file


def timed_import(database_url: str, kind: str, path: Path) -> tuple[float, str, int]:
    """Seconds, the command's summary line and its peak memory (KiB)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "import", kind, str(path), "--source", "bench"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url},
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(result.stdout + result.stderr)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, result.stdout.strip().splitlines()[-1].strip(), max(peak, before)


def main() -> None:
    parser = argparse.ArgumentParser(description="Import speed, first run and again.")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--contacts-per-customer", type=int, default=2)
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder, scratch_database("bizgraph-import") as url:
        files = write_files(Path(folder), args.customers, args.contacts_per_customer)
        print("| run | kind | records | seconds | records/s | result | peak memory MiB |")
        print("|---|---|---|---|---|---|---|")
        for run in ("first", "again"):
            for kind, path in zip(("customers", "contacts"), files, strict=True):
                records = args.customers * (
                    1 if kind == "customers" else args.contacts_per_customer
                )
                seconds, summary, peak = timed_import(url, kind, path)
                print(
                    f"| {run} | {kind} | {records:,} | {seconds:.1f} | {records / seconds:,.0f} "
                    f"| {summary} | {peak / 1024:.0f} |"
                )


if __name__ == "__main__":
    main()
