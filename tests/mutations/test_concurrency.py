"""200 clients race over real HTTP for the last 10 units: exactly 10 orders get them."""

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import aiohttp
import asyncpg
import httpx
import pytest

from api.security.tokens import mint
from api.settings import Settings
from tests.api.conftest import TEST_SECRET
from tests.mutations.conftest import Execute, World
from tests.mutations.operations import create_customer, create_item
from tests.stock_checks import LEDGER_DRIFT

ROUNDS = 20
CLIENTS = 200
UNITS = 10


PLACE = """mutation($input: SalesOrderPlaceInput!) {
  salesOrderPlace(input: $input) { salesOrder { id } errors { code } } }"""


@pytest.fixture(scope="module")
def server(database_url: str, redis_url: str) -> Iterator[str]:
    """`bizgraph serve` in its own process, as in production; yields its GraphQL URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BIZGRAPH_JWT_SECRET": TEST_SECRET,
        # 4,000 orders from one client in a minute: the rate limit is not what is tested.
        "BIZGRAPH_RATE_LIMIT_PER_MINUTE": "0",
        # Every wait the burst meets is set here, long enough for a machine busy with other
        # work: the test is about who gets the units, not about how fast the server is.
        "BIZGRAPH_ADMISSION_WAIT_S": "300",
        "BIZGRAPH_ADMISSION_QUEUE": str(2 * CLIENTS),
        "BIZGRAPH_DB_POOL_TIMEOUT_S": "60",
        "BIZGRAPH_STATEMENT_TIMEOUT_MS": "60000",
        "BIZGRAPH_REQUEST_STATEMENT_BUDGET_MS": "120000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)], env=environment
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url, timeout=5)  # any answer means it listens
                break
            except httpx.TransportError:
                assert process.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


# The race runs against the server process over HTTP; the in-process schema only sets the
# stage, so running it with and without the executor's shortcuts would race twice alike.
@pytest.mark.parametrize("schema", [True], indirect=True, ids=["shortcuts"])
async def test_the_last_units_are_sold_exactly_once(
    execute: Execute, world: World, db: asyncpg.Connection, server: str
) -> None:
    customer = await create_customer(execute)
    settings = Settings()
    token = mint(
        TEST_SECRET,
        email=world.admin.email,
        roles=["admin"],
        ttl_seconds=600,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    for round_number in range(ROUNDS):
        item = await create_item(
            execute, world, sku=f"LAST-{round_number}", price="9.99", stock=UNITS
        )
        order = {
            "customer": customer["id"],
            "lines": [{"stockItem": item, "quantity": 1}],
            "warehouse": World.gid("Warehouse", world.warehouse),
        }
        # Fresh connections each round: 200 clients arriving at once, as the test means.
        # (aiohttp: httpx's connection pool costs more CPU than the server at this fan-out.)
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=CLIENTS),
            timeout=aiohttp.ClientTimeout(120),
            headers={"Authorization": f"Bearer {token}"},
        ) as client:
            payloads = await asyncio.gather(
                *(
                    _post(client, server, {"query": PLACE, "variables": {"input": order}})
                    for _ in range(CLIENTS)
                )
            )
        outcomes = Counter(_outcome(status, body) for status, body in payloads)
        assert outcomes == {"placed": UNITS, "INSUFFICIENT_STOCK": CLIENTS - UNITS}, (
            f"round {round_number}: {UNITS} orders should get the units and the other "
            f"{CLIENTS - UNITS} be refused by the stock rule; the answers were {dict(outcomes)}"
        )
        level = await db.fetchrow(
            "SELECT l.on_hand, l.reserved FROM erp.stock_level l JOIN erp.stock_item i "
            "ON i.id = l.stock_item_id WHERE i.sku = $1",
            f"LAST-{round_number}",
        )
        assert (level["on_hand"], level["reserved"]) == (UNITS, UNITS)
    assert await db.fetchval(LEDGER_DRIFT) == 0


async def _post(client: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[int, Any]:
    async with client.post(url, json=body) as response:
        return response.status, await response.json(content_type=None)


def _outcome(status: int, body: Any) -> str:
    """`placed`, the payload error's code, or what else came back (for the failure message)."""
    payload = ((body or {}).get("data") or {}).get("salesOrderPlace") if status == 200 else None
    if payload is None:
        errors = (body or {}).get("errors") or [{}]
        return f"HTTP {status} {(errors[0].get('extensions') or {}).get('code')}"
    return "placed" if payload["salesOrder"] else str(payload["errors"][0]["code"])
