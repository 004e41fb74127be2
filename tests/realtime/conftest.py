"""Subscriptions against real API processes: a demo company, a server that serves the
subscribers, another that takes the changes (events cross processes through PostgreSQL), and
a real WebSocket client speaking graphql-transport-ws."""

import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api.security.tokens import mint
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.api.conftest import DEMO_SEED, DEMO_TODAY, TEST_SECRET
from tests.conftest import truncate_all
from tests.faults.processes import BizgraphProcess, free_port

LIMITS = {
    "BIZGRAPH_MAX_SUBSCRIPTIONS_PER_CONNECTION": "3",
    "BIZGRAPH_MAX_SUBSCRIPTIONS_PER_EMPLOYEE": "4",
}


def token(email: str, *roles: str, ttl: int = 600) -> str:
    return mint(
        TEST_SECRET,
        email=email,
        roles=roles,
        ttl_seconds=ttl,
        issuer="bizgraph",
        audience="bizgraph-api",
    )


@dataclass
class Server:
    process: BizgraphProcess
    port: int

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    async def ready(self) -> "Server":
        await self.process.ready(self.http)
        return self

    async def stop(self) -> None:
        if self.process.alive():
            self.process.signal(signal.SIGTERM)
            await self.process.exit_code()

    async def graphql(self, bearer: str, query: str, **variables: object) -> dict[str, object]:
        async with httpx.AsyncClient(base_url=self.http) as http:
            answer = await http.post(
                "/graphql",
                json={"query": query, "variables": variables},
                headers={"Authorization": f"Bearer {bearer}"},
            )
        body: dict[str, object] = answer.json()
        assert "errors" not in body, body
        return body


_STARTED: list[BizgraphProcess] = []


@pytest.fixture(scope="module", autouse=True)
def _no_server_outlives_its_module() -> Iterator[None]:
    """A test that fails before stopping its servers must not leave them running."""
    yield
    while _STARTED:
        process = _STARTED.pop()
        if process.alive():
            process.signal(signal.SIGKILL)


def start_server(database_url: str, redis_url: str, log: Path, port: int | None = None) -> Server:
    port = port or free_port()
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "BIZGRAPH_PORT": str(port),
        "BIZGRAPH_JWT_SECRET": TEST_SECRET,
        **LIMITS,
    }
    process = BizgraphProcess(["serve"], env, log)
    process.start()
    _STARTED.append(process)
    return Server(process, port)


@dataclass(frozen=True)
class Cast:
    admin: str
    rep: str
    other_rep: str
    rep_customer: str
    other_customer: str


@pytest.fixture(scope="module")
async def cast(database_url: str, engine: AsyncEngine) -> AsyncIterator[Cast]:
    """The demo company, two reps with customers of their own, and an admin."""
    await seed_database(database_url, customers=80, seed=DEMO_SEED, today=DEMO_TODAY, reset=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        reps = await connection.fetch(
            "SELECT e.email, min(c.id) AS customer FROM erp.employee e "
            "JOIN crm.customer c ON c.account_manager_id = e.id WHERE e.status = 'active' "
            "GROUP BY e.id ORDER BY count(*) DESC, e.id LIMIT 2"
        )
        admin = await connection.fetchval(
            "SELECT email FROM erp.employee WHERE status = 'active' "
            "AND email NOT IN ($1, $2) ORDER BY id LIMIT 1",
            reps[0]["email"],
            reps[1]["email"],
        )
    finally:
        await connection.close()
    from strawberry.relay import to_base64

    yield Cast(
        admin=admin,
        rep=reps[0]["email"],
        other_rep=reps[1]["email"],
        rep_customer=to_base64("Customer", reps[0]["customer"]),
        other_customer=to_base64("Customer", reps[1]["customer"]),
    )
    await truncate_all(engine)


@pytest.fixture(scope="module")
async def servers(
    cast: Cast, database_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Server, Server]]:
    """(live, writer): subscribers connect to the first, changes go through the second."""
    logs = tmp_path_factory.mktemp("servers")
    live = start_server(database_url, redis_url, logs / "live.log")
    writer = start_server(database_url, redis_url, logs / "writer.log")
    await live.ready()
    await writer.ready()
    yield live, writer
    await live.stop()
    await writer.stop()
