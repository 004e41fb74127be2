"""From a committed order to the customer's metrics showing it, with the worker running.

    python -m tests.benchmarks.worker_latency --customers 2000 --orders 30

Seeds a fresh database (DATABASE_URL's server or an embedded PostgreSQL), computes every
analytics step, starts `bizgraph worker` (not burst: the relay runs on its one-second
schedule) against REDIS_URL or an embedded Redis, then places orders one by one through the
order service `salesOrderPlace` runs (priced, stock reserved, outbox event, one transaction)
at random moments, and times each from its commit until `analytics.customer_metrics`
counts it.
"""

import argparse
import asyncio
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg

from api.embedded import EmbeddedRedis, remove_data
from api.recompute import expand
from api.recompute import run as recompute
from domain.core.sessions import asyncpg_dsn, create_engine
from domain.demo.seed import seed_database
from tests.benchmarks.scratch import scratch_database
from tests.workers.orders import place_order

DEADLINE_SECONDS = 30.0


async def wait_for(connection: asyncpg.Connection, query: str, *args: object) -> None:
    deadline = time.perf_counter() + DEADLINE_SECONDS
    while not await connection.fetchval(query, *args):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"not seen within {DEADLINE_SECONDS} s: {query}")
        await asyncio.sleep(0.01)


async def prepare(database_url: str, customers: int) -> None:
    await seed_database(database_url, customers=customers, seed=42)
    # Everything fresh, so the worker's start-up catch-up has nothing to do.
    await recompute(database_url, expand(None), show_progress=False)


async def measure(database_url: str, orders: int) -> list[float]:
    """Seconds from each order's commit to its customer's metrics counting it."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    engine = create_engine(database_url, pool_size=2)
    try:
        item = await connection.fetchval(
            "SELECT stock_item_id FROM erp.stock_level WHERE warehouse_id = 1 "
            "ORDER BY on_hand - reserved DESC LIMIT 1"
        )
        buyers = [
            row["id"]
            for row in await connection.fetch(
                "SELECT id FROM crm.customer ORDER BY random() LIMIT $1", orders + 1
            )
        ]
        # A first order, to know the worker is up and relaying.
        await place_order(engine, buyers[0], [(item, 1)])
        await wait_for(
            connection, "SELECT NOT EXISTS (SELECT 1 FROM ops.outbox WHERE processed_at IS NULL)"
        )
        latencies = []
        for customer_id in buyers[1:]:
            await asyncio.sleep(random.uniform(0.2, 1.2))  # land anywhere in the relay's second
            count = await connection.fetchval(
                "SELECT count(*) FROM erp.sales_order WHERE customer_id = $1 "
                "AND status IN ('placed', 'confirmed', 'fulfilled')",
                customer_id,
            )
            await place_order(engine, customer_id, [(item, 1)])
            committed = time.perf_counter()
            await wait_for(
                connection,
                "SELECT order_count = $2 FROM analytics.customer_metrics WHERE customer_id = $1",
                customer_id,
                count + 1,
            )
            latencies.append(time.perf_counter() - committed)
    finally:
        await connection.close()
        await engine.dispose()
    return latencies


def report(latencies: list[float]) -> None:
    latencies = sorted(latencies)
    print(
        f"{len(latencies)} orders, commit → metrics row: median {latencies[len(latencies) // 2]:.2f} s, "
        f"p95 {latencies[int(len(latencies) * 0.95) - 1]:.2f} s, max {latencies[-1]:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Order-to-metrics latency with the worker running."
    )
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=30)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    redis_dir = Path(tempfile.mkdtemp(prefix="bizgraph-bench-redis-"))
    redis = None
    redis_url = os.environ.get("REDIS_URL")
    if redis_url is None:
        redis = EmbeddedRedis(redis_dir, persistent=False)
        redis_url = redis.start()
    try:
        with scratch_database("bizgraph-bench-latency") as database_url:
            asyncio.run(prepare(database_url, args.customers))
            environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
            worker = subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=environment)
            try:
                report(asyncio.run(measure(database_url, args.orders)))
            finally:
                worker.terminate()
                worker.wait(timeout=60)
    finally:
        if redis is not None:
            redis.stop()
        remove_data(redis_dir)


if __name__ == "__main__":
    main()
