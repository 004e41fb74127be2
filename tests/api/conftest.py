"""API test fixtures: the real app over ASGI, tokens, a GraphQL helper and a SQL statement counter."""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from api.app import create_app
from api.security.tokens import Claims, mint
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.conftest import truncate_all

DEMO_CUSTOMERS = 120
DEMO_TODAY = date(2026, 6, 30)
TEST_SECRET = "a-test-only-secret-of-at-least-32-bytes"

GraphQL = Callable[..., Awaitable[dict[str, Any]]]
ADMIN = object()  # the `token` default of the graphql helper: an admin token


@pytest.fixture(scope="session", params=[True, False], ids=["shortcuts", "no-shortcuts"])
def settings(database_url: str, redis_url: str, request: pytest.FixtureRequest) -> Settings:
    """The app's settings; every API test runs with the executor's shortcuts and without
    them, since they may only skip work, never change an answer or a permission."""
    # The rate limit has its own tests (and app); the shared app must not throttle the suite.
    return Settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        BIZGRAPH_ENV="dev",
        BIZGRAPH_JWT_SECRET=TEST_SECRET,
        BIZGRAPH_RATE_LIMIT_PER_MINUTE=0,
        BIZGRAPH_EXECUTION_SHORTCUTS=request.param,
    )


@dataclass
class Tokens:
    """Mints tokens the test app accepts, for any employee and roles."""

    settings: Settings
    database_url: str

    def mint(self, email: str, *roles: str, ttl: int = 600, **claims: Any) -> str:
        secret = claims.pop("secret", TEST_SECRET)
        token = mint(
            secret,
            email=email,
            roles=roles,
            ttl_seconds=ttl,
            issuer=claims.pop("issuer", self.settings.jwt_issuer),
            audience=claims.pop("audience", self.settings.jwt_audience),
        )
        assert not claims, f"unknown options {claims}"
        return token

    async def first_active_employee(self) -> str:
        connection = await asyncpg.connect(asyncpg_dsn(self.database_url))
        try:
            email = await connection.fetchval(
                "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id LIMIT 1"
            )
        finally:
            await connection.close()
        assert email is not None, "no employee: seed data first"
        return str(email)

    async def admin(self) -> str:
        return self.mint(await self.first_active_employee(), "admin")


@pytest.fixture(scope="session")
def tokens(settings: Settings, database_url: str) -> Tokens:
    return Tokens(settings, database_url)


@pytest.fixture(scope="session")
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def admin_client(app: Starlette, tokens: Tokens) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests carry an admin token."""
    transport = httpx.ASGITransport(app=app)
    headers = bearer(await tokens.admin())
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=headers
    ) as http:
        yield http


@pytest.fixture
def graphql(client: httpx.AsyncClient, tokens: Tokens) -> GraphQL:
    """POST a document; as an admin by default, or with `token=` (None: no token at all)."""

    async def run(
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        token: Any = ADMIN,
        status: int = 200,
        **headers: str,
    ) -> dict[str, Any]:
        if token is ADMIN:
            token = await tokens.admin()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == status, response.text
        return response.json()  # type: ignore[no-any-return]

    return run


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class StatementCounter:
    count: int = 0

    def reset(self) -> None:
        self.count = 0


@pytest.fixture
async def statements(app: Starlette, tokens: Tokens) -> AsyncIterator[StatementCounter]:
    """Counts the app's SQL statements; the admin token's employee is looked up beforehand,
    so the count holds what a query costs, not who sent it (that lookup is cached 30 s)."""
    directory = app.state.security.directory
    directory.forget()
    await directory.viewer(Claims(await tokens.first_active_employee(), frozenset({"admin"})))
    counter = StatementCounter()
    engine = app.state.bizgraph.engine.sync_engine

    def count(*_: Any) -> None:
        counter.count += 1

    event.listen(engine, "before_cursor_execute", count)
    app.state.bizgraph.reads.listeners.append(count)
    yield counter
    event.remove(engine, "before_cursor_execute", count)
    app.state.bizgraph.reads.listeners.remove(count)


@pytest.fixture(scope="module")
async def demo(database_url: str, app: Starlette, engine: AsyncEngine) -> AsyncIterator[None]:
    """A freshly seeded demo company, shared by the read-only tests of a module; emptied
    afterwards, as tests that commit expect to find the database."""
    await seed_database(
        database_url, customers=DEMO_CUSTOMERS, seed=11, today=DEMO_TODAY, reset=True
    )
    app.state.security.directory.forget()  # employees were replaced
    yield
    await truncate_all(engine)
