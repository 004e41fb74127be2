"""A burst of orders at once: how many are placed, refused by a rule, or refused as overload.

    .venv/bin/python -m tests.benchmarks.burst --clients 200 1000 --workers 1 2

Seeds a small demo company (DATABASE_URL's server, or an embedded PostgreSQL), starts
`bizgraph serve` in production mode, and for each burst size sends that many
`salesOrderPlace` requests for one unit at the same moment, each on a fresh connection:
once against ample stock, once against the last 10 units. It prints, per run, the orders
placed, those refused by the stock rule, those refused as OVERLOADED, any other answer
(SERVICE_UNAVAILABLE among them: there should be none while PostgreSQL is up), and the
latency percentiles of all answers.
"""

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import time
import uuid
from collections import Counter
from typing import Any

import aiohttp
import asyncpg
from strawberry.relay import to_base64

from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.benchmarks.read_api import SECRET, admin_token, free_port, percentile
from tests.benchmarks.scratch import scratch_database

SCARCE = 10
CREATE_CUSTOMER = """mutation { customerCreate(input: {name: "Burst Buyer GmbH"}) {
  customer { id } errors { code message } } }"""
CREATE_ITEM = """mutation($input: StockItemCreateInput!) { stockItemCreate(input: $input) {
  stockItem { id } errors { code message } } }"""
ADJUST = """mutation($input: StockAdjustInput!) { stockAdjust(input: $input) {
  stockItem { id } errors { code message } } }"""
PLACE = """mutation($input: SalesOrderPlaceInput!) { salesOrderPlace(input: $input) {
  salesOrder { id } errors { code } } }"""


async def call(session: aiohttp.ClientSession, url: str, query: str, **variables: Any) -> Any:
    async with session.post(url, json={"query": query, "variables": variables}) as response:
        body = await response.json()
    assert not body.get("errors"), body
    [payload] = body["data"].values()
    assert not payload["errors"], payload
    return payload


async def stocked_item(
    session: aiohttp.ClientSession, url: str, ids: dict[str, str], units: int
) -> str:
    sku = f"BURST-{uuid.uuid4().hex[:8]}"
    item = await call(
        session,
        url,
        CREATE_ITEM,
        input={
            "sku": sku,
            "name": f"Burst item {sku}",
            "category": "HARDWARE",
            "unitPrice": "9.99",
            "unitCost": "4.00",
            "supplier": ids["supplier"],
        },
    )
    item_id: str = item["stockItem"]["id"]
    adjustment = {"stockItem": item_id, "warehouse": ids["warehouse"], "quantity": units}
    await call(session, url, ADJUST, input={**adjustment, "reason": "Burst benchmark stock"})
    return item_id


async def burst(url: str, headers: dict[str, str], order: dict[str, Any], clients: int) -> str:
    """Send `clients` orders at once; one line of figures."""
    latencies: list[float] = []
    outcomes: Counter[str] = Counter()

    async def one(session: aiohttp.ClientSession) -> None:
        started = time.perf_counter()
        body = {"query": PLACE, "variables": {"input": order}}
        async with session.post(url, json=body) as response:
            status, content = response.status, await response.json(content_type=None)
        latencies.append((time.perf_counter() - started) * 1000)
        outcomes[_outcome(status, content)] += 1

    connector = aiohttp.TCPConnector(limit=clients, force_close=True)
    timeout = aiohttp.ClientTimeout(total=300)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout, headers=headers) as s:
        started = time.perf_counter()
        await asyncio.gather(*(one(s) for _ in range(clients)))
        wall = time.perf_counter() - started
    placed, rule = outcomes.pop("placed", 0), outcomes.pop("INSUFFICIENT_STOCK", 0)
    overload = outcomes.pop("OVERLOADED", 0)
    other = ", ".join(f"{code} {n}" for code, n in sorted(outcomes.items())) or "-"
    return (
        f"{placed:>7} {rule:>9} {overload:>10}  {other:26} {percentile(latencies, 50):>8.0f} "
        f"{percentile(latencies, 99):>8.0f} {wall:>7.1f} {placed / wall:>9.0f}"
    )


def _outcome(status: int, body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        return str((errors[0].get("extensions") or {}).get("code", f"HTTP {status}"))
    payload = body["data"]["salesOrderPlace"]
    return "placed" if payload["salesOrder"] else str(payload["errors"][0]["code"])


async def bench(database_url: str, args: argparse.Namespace) -> None:
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=2)
    headers = await admin_token(pool)
    warehouse = await pool.fetchval("SELECT min(id) FROM erp.warehouse")
    supplier = await pool.fetchval("SELECT min(id) FROM erp.supplier")
    await pool.close()
    ids = {
        "warehouse": to_base64("Warehouse", warehouse),
        "supplier": to_base64("Supplier", supplier),
    }
    print(
        f"{'workers':>7} {'clients':>7} {'stock':>6} {'placed':>7} {'by rule':>9} "
        f"{'overload':>10}  {'other answers':26} {'p50 ms':>8} {'p99 ms':>8} {'wall s':>7} "
        f"{'placed/s':>9}"
    )
    for workers in args.workers:
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "BIZGRAPH_ENV": "prod",
            "BIZGRAPH_LOG_LEVEL": "ERROR",
            "BIZGRAPH_JWT_SECRET": SECRET,
            "BIZGRAPH_RATE_LIMIT_PER_MINUTE": "0",  # a burst from one client is the point
        }
        if args.admission_wait is not None:
            env["BIZGRAPH_ADMISSION_WAIT_S"] = str(args.admission_wait)
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        server = subprocess.Popen([*command, "--workers", str(workers)], env=env)  # noqa: ASYNC220
        url = f"http://127.0.0.1:{port}/graphql"
        try:
            async with aiohttp.ClientSession(headers=headers) as session:
                await _wait_until_serving(session, url)
                customer = (await call(session, url, CREATE_CUSTOMER))["customer"]["id"]
                for clients in args.clients:
                    for units in (clients, SCARCE):
                        item = await stocked_item(session, url, ids, units)
                        order = {
                            "customer": customer,
                            "warehouse": ids["warehouse"],
                            "lines": [{"stockItem": item, "quantity": 1}],
                        }
                        figures = await burst(url, headers, order, clients)
                        stock = "ample" if units == clients else str(units)
                        print(f"{workers:>7} {clients:>7} {stock:>6} {figures}", flush=True)
        finally:
            server.send_signal(2)
            server.wait(timeout=60)


async def _wait_until_serving(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            async with session.post(url, json={"query": "{ __typename }"}) as response:
                await response.read()
            return
        except aiohttp.ClientConnectionError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Bursts of concurrent orders.")
    parser.add_argument("--clients", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--customers", type=int, default=100, help="demo company size")
    parser.add_argument(
        "--admission-wait",
        type=float,
        default=None,
        help="BIZGRAPH_ADMISSION_WAIT_S for the server (default: the setting's default)",
    )
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with scratch_database("bizgraph-burst") as database_url:
        asyncio.run(seed_database(database_url, customers=args.customers, seed=42, reset=True))
        asyncio.run(bench(database_url, args))


if __name__ == "__main__":
    main()
