"""Test harness: a real PostgreSQL and a real Redis for the whole run.

`DATABASE_URL` / `REDIS_URL` are used when set (a throw-away database is created on that
server, so parallel runs never share one, and each xdist worker takes a Redis database of
its own); otherwise embedded servers are started in a temporary directory and removed
afterwards, one pair per worker.
"""

import asyncio
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from api import migrate
from api.embedded import EmbeddedPostgres, EmbeddedRedis, remove_data
from domain.core.model_base import SCHEMAS
from domain.core.sessions import asyncpg_dsn, create_engine
from domain.finance import chart
from tests.clients.tools import missing as missing_client_tools


def pytest_report_header() -> list[str]:
    """Tests left out for want of a tool are said so at the top of the run, never silently."""
    return [f"not collected: {why}" for why in missing_client_tools()]


@dataclass
class Services:
    """Where the test run's servers are, and handles to the ones it started itself."""

    database_url: str
    redis_url: str
    postgres: EmbeddedPostgres | None
    redis: EmbeddedRedis | None
    data_dir: Path


async def _create_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


async def _drop_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


async def _tune_for_tests(url: str) -> None:
    # Durability is irrelevant for a throw-away server; skipping fsync makes writes cheap.
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute("ALTER SYSTEM SET fsync = off")
        await connection.execute("ALTER SYSTEM SET synchronous_commit = off")
        await connection.execute("ALTER SYSTEM SET full_page_writes = off")
        await connection.execute("SELECT pg_reload_conf()")
    finally:
        await connection.close()


def _own_redis_database(url: str) -> str:
    """On a shared Redis server, xdist worker gwN uses database N after the one given:
    queues and keys of one worker never meet another's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker.removeprefix("gw"))
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    data_dir = Path(tempfile.mkdtemp(prefix="bizgraph-test-"))
    postgres: EmbeddedPostgres | None = None
    redis: EmbeddedRedis | None = None
    server_url = os.environ.get("DATABASE_URL")
    if server_url is None:
        postgres = EmbeddedPostgres(data_dir)
        server_url = postgres.start()
        asyncio.run(_tune_for_tests(server_url))
    database = f"bizgraph_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_create_database(server_url, database))
    database_url = make_url(server_url).set(database=database).render_as_string(hide_password=False)
    redis_url = os.environ.get("REDIS_URL")
    if redis_url is None:
        redis = EmbeddedRedis(data_dir, persistent=False)
        redis_url = redis.start()
    else:
        redis_url = _own_redis_database(redis_url)
        os.environ["REDIS_URL"] = redis_url  # for the processes tests start
    migrate.upgrade(database_url)
    try:
        yield Services(database_url, redis_url, postgres, redis, data_dir)
    finally:
        if redis is not None:
            redis.stop()
        if postgres is not None:
            postgres.close()
        else:
            asyncio.run(_drop_database(server_url, database))
        remove_data(data_dir)


@pytest.fixture(scope="session")
def database_url(services: Services) -> str:
    return services.database_url


@pytest.fixture(scope="session")
def redis_url(services: Services) -> str:
    return services.redis_url


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url, pool_size=5)
    yield engine
    await engine.dispose()


# Committed rows a test that builds its own data must not find: a fixture that seeds a
# company has to empty the database after itself, or the next test on the same worker
# (in any order xdist chooses) fails in ways that point nowhere near the cause.
LEFTOVERS = (
    "SELECT EXISTS (SELECT 1 FROM crm.customer) OR EXISTS (SELECT 1 FROM erp.employee) "
    "OR EXISTS (SELECT 1 FROM finance.closed_period)"
)
LEFTOVERS_FOUND = "committed data of an earlier test is still here: its fixture must truncate_all"


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """A session inside a transaction that is rolled back: domain tests leave nothing."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        assert not await connection.scalar(text(LEFTOVERS)), LEFTOVERS_FOUND
        db = AsyncSession(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield db
        finally:
            await db.close()
            await transaction.rollback()


async def truncate_all(engine: AsyncEngine) -> None:
    """Empty every table of the data model (API tests commit, then clean up with this)."""
    async with engine.begin() as connection:
        rows = await connection.execute(
            text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) "
                "FROM pg_tables WHERE schemaname = ANY(:schemas)"
            ),
            {"schemas": list(SCHEMAS)},
        )
        tables = [row[0] for row in rows]
        if tables:
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        for statement in chart.DEFAULT_CHART:
            await connection.execute(text(statement))


@pytest.fixture
async def clean_db(engine: AsyncEngine) -> AsyncIterator[AsyncEngine]:
    """For tests that commit: the database is emptied after the test."""
    yield engine
    await truncate_all(engine)
