"""Hostile documents against a served API, while a normal client measures its own latency.

    .venv/bin/python -m tests.benchmarks.hostile --customers 2000 --seconds 3

Seeds a fresh database (DATABASE_URL's server, or an embedded PostgreSQL), starts `bizgraph
serve` in production mode, and measures a normal client (the Customer 360 query, two
connections) alone, then beside one attacker connection that sends a hostile document
`--rate` times a second (the default rate limit's 600 a minute) for `--seconds`. For each document it prints its size, what the API answered
(the error code, or `ok`), the attacker's slowest answer and the normal client's p99 next
to its quiet p99. Target: every hostile answer in under 200 ms, and the normal client's
p99 within twice its quiet p99.
"""

import argparse
import asyncio
import os
import platform
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field

import asyncpg
import orjson
from strawberry.relay import to_base64

from api.graphiql import CUSTOMER_360
from api.security.tokens import mint
from domain.core.sessions import asyncpg_dsn
from tests.benchmarks.http_client import JsonPoster
from tests.benchmarks.read_api import SECRET, admin_token, free_port, percentile, prepare
from tests.benchmarks.scratch import scratch_database

TARGET_MS = 200.0


def _doubling(levels: int, on: str, leaf: str) -> str:
    spreads = [f"fragment F{i} on {on} {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    return "\n".join([*spreads, f"fragment F{levels} on {on} {{ {leaf} }}"])


def _nested(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = (
            f"managedCustomers(first: 1) {{ edges {{ node {{ accountManager {{ {inner} }} }} }} }}"
        )
    return f"{{ employees(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


def hostile_documents() -> list[tuple[str, object]]:
    """(name, JSON body) of each hostile request, one or more per class of attack."""
    search = "x" * 30_000
    searches = " ".join(
        f'a{i}: customers(first: 1, filter: {{search: "{search}"}}) {{ totalCount }}'
        for i in range(30)
    )
    wide = " ".join(
        f"f{i}: name" for i in range(25)
    )  # 25 copies of a field on 100 rows, 30 times over
    return [
        (
            "fragment bomb, 2^20 fields",
            {
                "query": "{ employees(first: 1) { edges { node { ...F0 } } } }\n"
                + _doubling(20, "Employee", "name")
            },
        ),
        (
            "fragment bomb, 2^60 fields",
            {
                "query": "{ employees { ...F0 } }\n"
                + _doubling(60, "EmployeeConnection", "totalCount")
            },
        ),
        (
            "plain lists multiplied",
            {
                "query": "{ employees(first: 100) { edges { node { department { employees {"
                " reports { department { employees { name email title } } } } } } } } }"
            },
        ),
        (
            "connections multiplied",
            {
                "query": "{ customers(first: 100) { edges { node { orders(first: 100) {"
                " edges { node { number lines { quantity } } } } } } } }"
            },
        ),
        (
            "30 pages of 25 aliased fields",
            {
                "query": "{ "
                + " ".join(
                    f"p{i}: customers(first: 100, after: null) {{ edges {{ node {{ {wide} }} }} }}"
                    for i in range(30)
                )
                + " }"
            },
        ),
        ("30 aliased 30 KB searches", {"query": f"{{ {searches} }}"}),
        (
            "one 900 KB search",
            {
                "query": "query($s: String) { customers(filter: {search: $s}) { totalCount } }",
                "variables": {"s": "y" * 900_000},
            },
        ),
        (
            "largest page the estimate allows",
            {
                "query": "{ customers(first: 100) { edges { node { name orders(first: 40) {"
                " edges { node { number total lines { quantity lineTotal } } } } } } } }"
            },
        ),
        (
            "30 aliased 200-char searches",
            {
                "query": "query($s: String) { "
                + " ".join(
                    f"a{i}: customers(first: 1, filter: {{search: $s}}) {{ totalCount }}"
                    for i in range(30)
                )
                + " }",
                "variables": {"s": "ab" * 100},
            },
        ),
        ("13 levels deep", {"query": _nested(3)}),
        ("31 aliases", {"query": "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"}),
        ("2,100 tokens", {"query": "{ " + " ".join(["__typename"] * 2100) + " }"}),
        ("batch of 50", [{"query": "{ __typename }"}] * 50),
        ("introspection in prod", {"query": "{ __schema { types { name fields { name } } } }"}),
        ("variables nested 10,000 deep", _deep(10_000)),
    ]


def _deep(levels: int) -> bytes:
    """A body whose variables nest `levels` objects deep (deeper than orjson encodes)."""
    return (
        b'{"query": "{ __typename }", "variables": '
        + b'{"a": ' * levels
        + b"1"
        + b"}" * levels
        + b"}"
    )


def _code(status: int, content: bytes) -> str:
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return f"HTTP {status}"
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return "ok" if status == 200 else f"HTTP {status}"
    code = (errors[0].get("extensions") or {}).get("code", "error")
    limit = (errors[0].get("extensions") or {}).get("limit")
    return f"{code}:{limit}" if limit else (code if status == 200 else f"{status} {code}")


@dataclass
class Normal:
    """What the normal client saw: latencies of its answers, and the answers that failed."""

    latencies: list[float] = field(default_factory=list)
    failures: set[str] = field(default_factory=set)


async def normal_client(client: JsonPoster, ids: list[int], seconds: float) -> Normal:
    rng = random.Random(7)
    seen = Normal()
    deadline = time.perf_counter() + seconds

    async def loop() -> None:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            variables = {"id": to_base64("Customer", rng.choice(ids))}
            status, content = await client.post({"query": CUSTOMER_360, "variables": variables})
            seen.latencies.append((time.perf_counter() - started) * 1000)
            if status != 200 or b'"errors"' in content:
                seen.failures.add(_code(status, content))

    await asyncio.gather(loop(), loop())
    return seen


async def attacker(
    client: JsonPoster, payload: object, seconds: float, rate: float
) -> tuple[list[float], set[str]]:
    latencies: list[float] = []
    outcomes: set[str] = set()
    begun = time.perf_counter()
    deadline = begun + seconds
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        status, content = await client.post(payload)
        latencies.append((time.perf_counter() - started) * 1000)
        outcomes.add(_code(status, content))
        # At most `rate` requests a second: what one client may send under the rate limit.
        await asyncio.sleep(max(0.0, begun + len(latencies) / rate - time.perf_counter()))
    return latencies, outcomes


async def bench(database_url: str, args: argparse.Namespace) -> bool:
    pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=3)
    ids = [r["id"] for r in await pool.fetch("SELECT id FROM crm.customer ORDER BY id")]
    headers = await admin_token(pool)
    # The attacker is another employee: per-client shares apply to it, not to its victim.
    attacker_email = await pool.fetchval(
        "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id DESC LIMIT 1"
    )
    await pool.close()
    attacker_token = mint(
        SECRET,
        email=attacker_email,
        roles=["admin"],
        ttl_seconds=3600,
        issuer="bizgraph",
        audience="bizgraph-api",
    )
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "BIZGRAPH_ENV": "prod",
        "BIZGRAPH_LOG_LEVEL": "ERROR",
        "BIZGRAPH_JWT_SECRET": SECRET,
        "BIZGRAPH_RATE_LIMIT_PER_MINUTE": "0",  # the attacker's rate is the point
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    server = subprocess.Popen([*command, "--workers", str(args.workers)], env=env)  # noqa: ASYNC220
    normal = JsonPoster("127.0.0.1", port, "/graphql", headers=headers)
    hostile = JsonPoster(
        "127.0.0.1", port, "/graphql", headers={"Authorization": f"Bearer {attacker_token}"}
    )
    met = True
    try:
        await _wait_until_serving(normal)
        await normal_client(normal, ids, 1.0)  # warm caches and connections
        quiet = percentile((await normal_client(normal, ids, args.seconds)).latencies, 99)
        print(f"normal client alone: p99 {quiet:.1f} ms")
        print(
            f"{'hostile document':34} {'bytes':>9} {'answer':28} {'max ms':>7} {'p99 ms':>7} ×quiet"
        )
        for name, payload in hostile_documents():
            (latencies, outcomes), beside = await asyncio.gather(
                attacker(hostile, payload, args.seconds, args.rate),
                normal_client(normal, ids, args.seconds),
            )
            worst, p99 = max(latencies), percentile(beside.latencies, 99)
            ok = worst < TARGET_MS and p99 <= 2 * quiet and not beside.failures
            met &= ok
            size = len(payload if isinstance(payload, bytes) else orjson.dumps(payload))
            print(
                f"{name:34} {size:>9} {','.join(sorted(outcomes)):28} {worst:>7.1f} "
                f"{p99:>7.1f} {p99 / quiet:>5.2f}{'' if ok else '  MISSED'}"
                + (
                    f" (normal client got {', '.join(sorted(beside.failures))})"
                    if beside.failures
                    else ""
                ),
                flush=True,
            )
    finally:
        await normal.close()
        await hostile.close()
        server.send_signal(2)
        server.wait(timeout=30)
    print(
        f"target (every answer < {TARGET_MS:.0f} ms, p99 ≤ 2× quiet): {'met' if met else 'missed'}"
    )
    return met


async def _wait_until_serving(client: JsonPoster) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            await client.post({"query": "{ __typename }"})
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description="Hostile documents against a served API.")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0, help="per hostile document")
    parser.add_argument("--workers", type=int, default=2, help="API processes")
    parser.add_argument(
        "--rate",
        type=float,
        default=10.0,
        help="hostile requests per second (default: the default rate limit, 600 a minute)",
    )
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with scratch_database("bizgraph-hostile") as database_url:
        asyncio.run(prepare(database_url, args.customers))
        met = asyncio.run(bench(database_url, args))
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
