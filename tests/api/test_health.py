"""`/healthz` and `/readyz` answer JSON; `/readyz` knows the schema must be at head."""

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from api.app import create_app
from api.migrate import expected_heads
from api.settings import Settings
from tests.conftest import _create_database, _drop_database


async def test_healthz_says_alive(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "alive"})


async def test_readyz_checks_postgres_migrations_and_redis(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    checks = body["checks"]
    assert checks["postgres"]["ok"] and checks["redis"]["ok"]
    assert checks["migrations"] == {
        "ok": True,
        "ms": 0.0,
        "current": expected_heads(),
        "head": expected_heads(),
    }


@pytest.fixture
async def unmigrated_url(database_url: str) -> AsyncIterator[str]:
    name = f"bizgraph_empty_{uuid.uuid4().hex[:8]}"
    await _create_database(database_url, name)
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    await _drop_database(database_url, name)


async def test_readyz_is_503_until_the_schema_is_migrated(
    unmigrated_url: str, redis_url: str
) -> None:
    app = create_app(Settings(DATABASE_URL=unmigrated_url, REDIS_URL=redis_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/readyz")
        await app.state.bizgraph.engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["postgres"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is False
    assert body["checks"]["migrations"]["current"] == []
