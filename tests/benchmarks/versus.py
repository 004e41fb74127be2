"""bizgraph against the SQL floor and PostGraphile 4, on one database, interleaved in rounds.

    make bench BENCH_ARGS="--peer postgraphile --customers 2000 --seconds 5 --rounds 3"

Both servers answer the Customer 360 of a random customer and the same selection for a page
of 50 and of 100 customers sorted by name, loaded by `wrk` over HTTP; the floor is the one
hand-written statement (`floor.sql`) over asyncpg. Each round measures every target once, in
turn, so a disturbance of the machine hits them alike; the ratio reported is the median of
the rounds' bizgraph ÷ PostGraphile ratios. bizgraph also answers as a sales rep (record
rules) and as support (denied fields: receivables, invoices, metrics), against the same
PostGraphile run. Statements per request are counted in-process for bizgraph and on the wire
for PostGraphile; server CPU per request is the server processes' CPU time over a run.
"""

import argparse
import asyncio
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import orjson
from sqlalchemy.engine import make_url
from strawberry.relay import to_base64

from api.graphiql import CUSTOMER_360
from api.security.tokens import mint
from domain.core.sessions import asyncpg_dsn
from tests.benchmarks import postgraphile, wrk
from tests.benchmarks.read_api import (
    FLOOR_SQL,
    SECRET,
    count_statements,
    free_port,
    measure,
    percentile,
    process_cpu,
)

PEER_CACHE = Path(tempfile.gettempdir()) / "bizgraph-bench-peer"
ROLES = ("admin", "sales_rep", "support")
SAMPLE_CUSTOMERS = 300


def page_of(document: str, header: str, root: str) -> str:
    """The Customer 360 selection for a page of customers (`root` opens the list)."""
    return document.replace(header, root, 1).replace("\n  }\n}\n", "\n  } } }\n}\n")


BIZGRAPH_PAGE = page_of(
    CUSTOMER_360,
    "query Customer360($id: ID!) {\n  customer(id: $id) {",
    "query Page($first: Int!) {\n  customers(first: $first) { edges { node {",
)
PEER_SINGLE = postgraphile.document("customer360")
PEER_PAGE = page_of(
    PEER_SINGLE,
    "query Customer360($id: BigInt!) {\n  customerById(id: $id) {",
    "query Page($first: Int!) {\n  allCustomers(first: $first, orderBy: [NAME_ASC, ID_ASC]) "
    "{ edges { node {",
)


def floor_page_sql(size: int) -> str:
    ids = (
        "(SELECT array_agg(id ORDER BY name, id) FROM (SELECT id, name FROM crm.customer "
        f"ORDER BY name, id LIMIT {size}) t)"
    )
    return FLOOR_SQL.replace("$1::bigint[]", ids)


@dataclass
class Cell:
    """The figures of one query at one concurrency, over the rounds."""

    rates: dict[str, list[float]] = field(default_factory=dict)
    p50: dict[str, list[float]] = field(default_factory=dict)
    p99: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)

    def add(self, target: str, rate: float, p50: float, p99: float, cpu: float | None) -> None:
        self.rates.setdefault(target, []).append(rate)
        self.p50.setdefault(target, []).append(p50)
        self.p99.setdefault(target, []).append(p99)
        if cpu is not None:
            self.cpu.setdefault(target, []).append(cpu)

    def ratio(self, target: str, peer: str) -> float:
        return statistics.median(
            a / b for a, b in zip(self.rates[target], self.rates[peer], strict=True)
        )


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


async def _people(pool: asyncpg.Pool) -> dict[str, str]:
    admin = await pool.fetchval(
        "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id LIMIT 1"
    )
    rep = await pool.fetchval(
        "SELECT e.email FROM crm.customer c JOIN erp.employee e ON e.id = c.account_manager_id "
        "GROUP BY e.email ORDER BY count(*) DESC, e.email LIMIT 1"
    )
    return {"admin": admin, "sales_rep": rep, "support": admin}


def _token(email: str, role: str) -> dict[str, str]:
    token = mint(
        SECRET,
        email=email,
        roles=[role],
        ttl_seconds=7200,
        issuer="bizgraph",
        audience="bizgraph-api",
    )
    return {"Authorization": f"Bearer {token}"}


def _serve_bizgraph(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BIZGRAPH_ENV": "prod",
        "BIZGRAPH_LOG_LEVEL": "WARNING",
        "BIZGRAPH_JWT_SECRET": SECRET,
        "BIZGRAPH_RATE_LIMIT_PER_MINUTE": "0",
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    return subprocess.Popen([*command, "--workers", str(workers)], env=env)


def _stop(process: subprocess.Popen[bytes]) -> None:
    # SIGINT: uvicorn re-raises SIGTERM after shutting down; `bizgraph serve` stops its Redis.
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


async def _peer_statements(
    command: Path, database_url: str, bodies: dict[str, str]
) -> dict[str, int]:
    """Statements PostGraphile runs per request of each query, counted on the wire."""
    counter = postgraphile.StatementCounter(database_url)
    relay_port = await counter.start()
    relayed = make_url(database_url).set(host="127.0.0.1", port=relay_port)
    relayed_url = relayed.render_as_string(hide_password=False)
    port = free_port()
    server = postgraphile.start(command, relayed_url, port, 1)
    try:
        await asyncio.to_thread(postgraphile.wait_until_serving, port)
        found = {}
        for name, body in bodies.items():
            await _post(port, body, {})  # the first request also introspects
            counter.statements = 0
            await _post(port, body, {})
            found[name] = counter.statements
        return found
    finally:
        server.terminate()
        server.wait(timeout=30)
        await counter.close()


async def _post(port: int, body: str, headers: dict[str, str]) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [
        "POST /graphql HTTP/1.1",
        "Host: 127.0.0.1",
        "Content-Type: application/json",
        f"Content-Length: {len(body.encode())}",
        "Connection: close",
        *[f"{k}: {v}" for k, v in headers.items()],
    ]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body.encode())
    await writer.drain()
    response = await reader.read()
    writer.close()
    head, _, content = response.partition(b"\r\n\r\n")
    # Denied fields are FORBIDDEN errors by design (the support role's); nothing else may fail.
    errors = orjson.loads(content).get("errors", []) if content else []
    codes = {(error.get("extensions") or {}).get("code") for error in errors}
    if b" 200 " not in head.split(b"\r\n", 1)[0] or codes - {"FORBIDDEN"}:
        raise RuntimeError(f"a benchmark request failed: {response[:500]!r}")
    return content


async def versus(database_url: str, args: argparse.Namespace) -> None:
    dsn = asyncpg_dsn(database_url)
    pool = await asyncpg.create_pool(dsn, min_size=2, max_size=max(args.concurrency) + 2)
    ids = [row["id"] for row in await pool.fetch("SELECT id FROM crm.customer ORDER BY id")]
    sample = random.Random(1).sample(ids, min(SAMPLE_CUSTOMERS, len(ids)))
    people = await _people(pool)
    command = await asyncio.to_thread(postgraphile.install, PEER_CACHE)

    # A sales rep asks for their own customers (the others are hidden from them: NOT_FOUND).
    mine = [
        row["id"]
        for row in await pool.fetch(
            "SELECT c.id FROM crm.customer c JOIN erp.employee e ON e.id = c.account_manager_id "
            "WHERE e.email = $1 ORDER BY c.id",
            people["sales_rep"],
        )
    ]
    samples = {"admin": sample, "sales_rep": mine[:SAMPLE_CUSTOMERS], "support": sample}

    def single(customers: list[int]) -> list[str]:
        return [
            orjson.dumps(
                {"query": CUSTOMER_360, "variables": {"id": to_base64("Customer", key)}}
            ).decode()
            for key in customers
        ]

    bodies: dict[str, dict[str, list[str]]] = {
        "single": {
            **{role: single(samples[role]) for role in ROLES},
            "peer": [
                orjson.dumps({"query": PEER_SINGLE, "variables": {"id": str(i)}}).decode()
                for i in sample
            ],
        }
    }
    for size in args.pages:
        ours = orjson.dumps({"query": BIZGRAPH_PAGE, "variables": {"first": size}}).decode()
        theirs = orjson.dumps({"query": PEER_PAGE, "variables": {"first": size}}).decode()
        bodies[f"{size}-customer page"] = {**{role: [ours] for role in ROLES}, "peer": [theirs]}
    statements = {
        name: await count_statements(
            database_url,
            orjson.loads(targets["admin"][0])["query"],
            orjson.loads(targets["admin"][0])["variables"],
            _token(people["admin"], "admin"),
        )
        for name, targets in bodies.items()
    }
    peer_statements = await _peer_statements(
        command, database_url, {name: targets["peer"][0] for name, targets in bodies.items()}
    )

    ours_port, peer_port = free_port(), free_port()
    ours = _serve_bizgraph(database_url, ours_port, args.workers)
    peer = postgraphile.start(command, database_url, peer_port, args.workers)
    try:
        await asyncio.to_thread(postgraphile.wait_until_serving, ours_port)
        await asyncio.to_thread(postgraphile.wait_until_serving, peer_port)
        for targets in bodies.values():
            for role in ROLES:
                await _post(ours_port, targets[role][0], _token(people[role], role))
            await _post(peer_port, targets["peer"][0], {})
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}; {len(ids):,} customers; processes: bizgraph "
            f"{args.workers}, PostGraphile {args.workers}; {args.rounds} interleaved rounds of "
            f"{args.seconds:g} s per target; load: wrk over HTTP; floor: asyncpg"
        )
        print(
            "| query | role | concurrency | bizgraph req/s | PostGraphile req/s | ratio "
            "(median of rounds) | p50 / p99 ms bizgraph | p50 / p99 ms PostGraphile | floor "
            "req/s, p50 ms | statements bizgraph / PostGraphile / floor | server CPU ms "
            "bizgraph / PostGraphile |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for name, targets in bodies.items():
            size = None if name == "single" else int(name.split("-")[0])
            floor = _floor(pool, sample, size)

            for concurrency in args.concurrency:
                cell = Cell()
                for _ in range(args.rounds):
                    rate, latencies = await measure(floor, concurrency, args.seconds)
                    cell.add(
                        "floor", rate, percentile(latencies, 50), percentile(latencies, 99), None
                    )
                    for role in ROLES:
                        headers = _token(people[role], role)
                        cell.add(
                            f"bizgraph:{role}",
                            *await _wrk(
                                ours, ours_port, targets[role], headers, concurrency, args.seconds
                            ),
                        )
                        if role == "admin":
                            cell.add(
                                "peer",
                                *await _wrk(
                                    peer, peer_port, targets["peer"], {}, concurrency, args.seconds
                                ),
                            )
                for role in ROLES:
                    target = f"bizgraph:{role}"
                    print(
                        f"| {name} | {role} | {concurrency} | {_median(cell.rates[target]):.0f} | "
                        f"{_median(cell.rates['peer']):.0f} | {cell.ratio(target, 'peer'):.2f} | "
                        f"{_median(cell.p50[target]):.1f} / {_median(cell.p99[target]):.1f} | "
                        f"{_median(cell.p50['peer']):.1f} / {_median(cell.p99['peer']):.1f} | "
                        f"{_median(cell.rates['floor']):.0f}, {_median(cell.p50['floor']):.1f} | "
                        f"{statements[name]} / {peer_statements[name]} / 1 | "
                        f"{_median(cell.cpu.get(target, [])):.1f} / {_median(cell.cpu.get('peer', [])):.1f} |",
                        flush=True,
                    )
    finally:
        _stop(ours)
        peer.terminate()
        peer.wait(timeout=30)
        await pool.close()


def _floor(pool: asyncpg.Pool, sample: list[int], size: int | None) -> Callable[[], Any]:
    """The floor's statement for a random customer of the sample, or for a page."""
    sql = FLOOR_SQL if size is None else floor_page_sql(size)

    async def call() -> None:
        await pool.fetchval(sql, *([[random.choice(sample)]] if size is None else []))

    return call


async def _wrk(
    server: subprocess.Popen[bytes],
    port: int,
    bodies: list[str],
    headers: dict[str, str],
    connections: int,
    seconds: float,
) -> tuple[float, float, float, float | None]:
    before = process_cpu(server.pid)
    load = await asyncio.to_thread(
        wrk.run,
        f"http://127.0.0.1:{port}/graphql",
        bodies,
        headers,
        connections=connections,
        seconds=seconds,
    )
    after = process_cpu(server.pid)
    cpu = None
    if before is not None and after is not None and load.requests:
        cpu = (after - before) * 1000 / load.requests
    return load.rate, load.p50_ms, load.p99_ms, cpu
