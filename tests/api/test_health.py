"""`/healthz` and `/readyz` answer JSON; `/readyz` knows the schema must be at head."""

import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from api.app import create_app
from api.migrate import known_revisions
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
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
    heads, _ = known_revisions()
    assert checks["migrations"] == {"ok": True, "ms": 0.0, "current": heads, "head": heads}


@pytest.fixture
async def unmigrated_url(database_url: str) -> AsyncIterator[str]:
    name = f"bizgraph_empty_{uuid.uuid4().hex[:8]}"
    await _create_database(database_url, name)
    yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    await _drop_database(database_url, name)


async def _readyz(database_url: str, redis_url: str) -> httpx.Response:
    app = create_app(Settings(DATABASE_URL=database_url, REDIS_URL=redis_url))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/readyz")
    await app.state.bizgraph.engine.dispose()
    await app.state.probes.close()
    return response


async def test_readyz_is_503_while_the_schema_is_behind(
    unmigrated_url: str, redis_url: str
) -> None:
    response = await _readyz(unmigrated_url, redis_url)
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["postgres"]["ok"] is True
    migrations = body["checks"]["migrations"]
    assert (migrations["ok"], migrations["current"]) == (False, [])
    assert "bizgraph migrate" in migrations["error"]


async def test_readyz_accepts_a_schema_ahead_of_this_version(
    unmigrated_url: str, redis_url: str
) -> None:
    # What an older replica sees during a rolling upgrade, after the migrate step ran.
    connection = await asyncpg.connect(asyncpg_dsn(unmigrated_url))
    try:
        await connection.execute(
            "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY);"
            "INSERT INTO alembic_version VALUES ('9999_from_a_newer_release')"
        )
    finally:
        await connection.close()
    response = await _readyz(unmigrated_url, redis_url)
    assert response.status_code == 200
    migrations = response.json()["checks"]["migrations"]
    assert migrations["ok"] is True
    assert migrations["note"] == "database is ahead of this version"


async def test_readyz_stays_ready_while_every_pooled_connection_is_busy(
    database_url: str, redis_url: str
) -> None:
    """A replica busy with requests is not unready: the probe has a connection of its own."""
    settings = Settings(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        BIZGRAPH_DB_POOL_SIZE=1,
        BIZGRAPH_DB_MAX_OVERFLOW=0,
        BIZGRAPH_DB_POOL_TIMEOUT_S=0.2,
    )
    app = create_app(settings)
    engine = app.state.bizgraph.engine
    transport = httpx.ASGITransport(app=app)
    try:
        async with engine.connect() as held:  # the request pool's only connection
            await held.exec_driver_sql("SELECT 1")
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                ready = await http.get("/readyz")
                scraped = await http.get("/metrics")
    finally:
        await engine.dispose()
        await app.state.probes.close()
    assert ready.status_code == 200, ready.json()
    assert ready.json()["checks"]["postgres"]["ok"] is True
    assert 'bizgraph_db_pool_connections{state="in_use"} 1.0' in scraped.text
