"""API test fixtures: the real app over ASGI, a GraphQL helper and a SQL statement counter."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from api.app import create_app
from api.settings import Settings
from domain.demo.seed import seed_database

DEMO_CUSTOMERS = 120
DEMO_TODAY = date(2026, 6, 30)

GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str) -> Settings:
    return Settings(DATABASE_URL=database_url, REDIS_URL=redis_url, BIZGRAPH_ENV="dev")


@pytest.fixture(scope="session")
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
def graphql(client: httpx.AsyncClient) -> GraphQL:
    async def run(
        query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> dict[str, Any]:
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    return run


@dataclass
class StatementCounter:
    count: int = 0

    def reset(self) -> None:
        self.count = 0


@pytest.fixture
def statements(app: Starlette) -> Iterator[StatementCounter]:
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
async def demo(database_url: str) -> None:
    """A freshly seeded demo company, shared by the read-only tests of a module."""
    await seed_database(
        database_url, customers=DEMO_CUSTOMERS, seed=11, today=DEMO_TODAY, reset=True
    )
