"""Read API benchmark: the API served as in production versus a one-statement SQL floor.

    make bench BENCH_ARGS="--customers 2000 --seconds 10"

Seeds a fresh database (DATABASE_URL's server, or an embedded PostgreSQL), computes metrics,
starts `bizgraph serve` in a subprocess, and for the single-customer query and the
50-customer page reports requests/s and latency percentiles at several concurrency levels,
next to the floor: the same document built by one hand-written SQL statement over asyncpg.
"""

import argparse
import asyncio
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
from sqlalchemy import event
from sqlalchemy.engine import make_url
from strawberry.relay import to_base64

from api.embedded import EmbeddedPostgres, remove_data
from api.graphiql import CUSTOMER_360
from api.migrate import upgrade
from domain.core.database import asyncpg_dsn
from domain.demo.seed import seed_database

FLOOR_SQL = (Path(__file__).parent / "floor.sql").read_text()
TOP_50 = (
    "(SELECT array_agg(id ORDER BY revenue DESC, id DESC) FROM (SELECT c.id, "
    "coalesce(m.lifetime_revenue, 0) AS revenue FROM crm.customer c LEFT JOIN "
    "analytics.customer_metrics m ON m.customer_id = c.id ORDER BY revenue DESC, c.id DESC LIMIT 50) t)"
)
PAGE_FLOOR_SQL = FLOOR_SQL.replace("$1::bigint[]", TOP_50)
PAGE_QUERY = CUSTOMER_360.replace(
    "query Customer360($id: ID!) {\n  customer(id: $id) {",
    "query Page {\n  customers(first: 50, orderBy: {field: LIFETIME_REVENUE, direction: DESC}) "
    "{ edges { node {",
).replace("\n  }\n}\n", "\n  } } }\n}\n")

Call = Callable[[], Awaitable[None]]


async def measure(call: Call, concurrency: int, seconds: float) -> tuple[float, list[float]]:
    """Run `call` from `concurrency` tasks for `seconds`; returns (requests/s, latencies in ms)."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            await call()
            latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return len(latencies) / (time.perf_counter() - started), latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def count_statements(database_url: str, query: str, variables: dict[str, str]) -> int:
    from api.app import create_app
    from api.settings import Settings

    app = create_app(Settings(DATABASE_URL=database_url))
    seen = 0

    def count(*_: object) -> None:
        nonlocal seen
        seen += 1

    event.listen(app.state.bizgraph.engine.sync_engine, "before_cursor_execute", count)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://b"
    ) as client:
        response = await client.post("/graphql", json={"query": query, "variables": variables})
        assert "errors" not in response.json(), response.text[:500]
    await app.state.bizgraph.engine.dispose()
    return seen


async def bench(database_url: str, args: argparse.Namespace) -> None:
    dsn = asyncpg_dsn(database_url)
    pool = await asyncpg.create_pool(dsn, min_size=4, max_size=max(args.concurrency) + 2)
    ids = [r["id"] for r in await pool.fetch("SELECT id FROM crm.customer ORDER BY id")]
    rng = random.Random(1)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BIZGRAPH_ENV": "prod",
        "BIZGRAPH_LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measurement
        [
            sys.executable,
            "-m",
            "api.cli",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ],
        env=env,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        async with httpx.AsyncClient(
            timeout=60, limits=httpx.Limits(max_connections=200)
        ) as client:
            for _ in range(200):
                try:
                    await client.post(url, json={"query": "{ __typename }"})
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)

            async def api_single() -> None:
                response = await client.post(
                    url,
                    json={
                        "query": CUSTOMER_360,
                        "variables": {"id": to_base64("Customer", rng.choice(ids))},
                    },
                )
                assert response.status_code == 200 and b'"errors"' not in response.content, (
                    response.text[:300]
                )

            async def api_page() -> None:
                response = await client.post(url, json={"query": PAGE_QUERY})
                assert response.status_code == 200 and b'"errors"' not in response.content, (
                    response.text[:300]
                )

            async def floor_single() -> None:
                await pool.fetchval(FLOOR_SQL, [rng.choice(ids)])

            async def floor_page() -> None:
                await pool.fetchval(PAGE_FLOOR_SQL)

            single_statements = await count_statements(
                database_url, CUSTOMER_360, {"id": to_base64("Customer", ids[0])}
            )
            page_statements = await count_statements(database_url, PAGE_QUERY, {})
            print(
                f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}; "
                f"{len(ids):,} customers; API processes: {args.workers}"
            )
            print(
                "| query | concurrency | API req/s | API p50 / p95 / p99 ms | floor req/s | floor p50 ms "
                "| p50 ratio | SQL statements per request |"
            )
            print("|---|---|---|---|---|---|---|---|")
            for label, api, floor, statements in (
                ("single customer", api_single, floor_single, single_statements),
                ("50-customer page", api_page, floor_page, page_statements),
            ):
                await measure(api, 2, 1.0)  # warm-up
                for concurrency in args.concurrency:
                    api_rate, api_lat = await measure(api, concurrency, args.seconds)
                    floor_rate, floor_lat = await measure(floor, concurrency, args.seconds)
                    p50, floor_p50 = percentile(api_lat, 50), percentile(floor_lat, 50)
                    print(
                        f"| {label} | {concurrency} | {api_rate:.0f} | {p50:.1f} / {percentile(api_lat, 95):.1f} / "
                        f"{percentile(api_lat, 99):.1f} | {floor_rate:.0f} | {floor_p50:.1f} | "
                        f"{p50 / floor_p50:.1f}× | {statements} |",
                        flush=True,
                    )
    finally:
        server.terminate()
        server.wait(timeout=30)
        await pool.close()


async def prepare(database_url: str, customers: int) -> None:
    await asyncio.to_thread(upgrade, database_url)
    await seed_database(database_url, customers=customers, seed=42, reset=True)
    from api.recompute import run

    await run(database_url, ["metrics"], show_progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Benchmark the read API against a one-statement SQL floor."
    )
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--workers", type=int, default=1, help="API processes")
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL")
    data_dir = Path(tempfile.mkdtemp(prefix="bizgraph-bench-"))
    postgres = None
    if server_url is None:
        postgres = EmbeddedPostgres(data_dir)
        server_url = postgres.start()
    name = f"bizgraph_bench_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server_url))
        await connection.execute(f'CREATE DATABASE "{name}"')
        await connection.close()

    async def drop() -> None:
        connection = await asyncpg.connect(asyncpg_dsn(server_url))
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.close()

    asyncio.run(create())
    database_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(prepare(database_url, args.customers))
        asyncio.run(bench(database_url, args))
    finally:
        asyncio.run(drop())
        if postgres is not None:
            postgres.close()
        remove_data(data_dir)


if __name__ == "__main__":
    main()
