"""Servers a fault test may stop and restart without disturbing the rest of the suite.

PostgreSQL: always a private embedded server. Other tests keep session-wide engines with
pooled connections to the harness's server; stopping it would break their next query.
Redis: the harness's own server when it started one (nothing else holds state in it
across tests), else a private one, never a server given by REDIS_URL.
"""

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from api import migrate
from api.embedded import EmbeddedPostgres, EmbeddedRedis
from domain.core.sessions import asyncpg_dsn
from tests.conftest import Services, _tune_for_tests
from tests.faults.identity import admin_token


@dataclass
class PrivatePostgres:
    server: EmbeddedPostgres
    url: str


@pytest.fixture
async def private_postgres(tmp_path: Path) -> AsyncIterator[PrivatePostgres]:
    server = EmbeddedPostgres(tmp_path)
    url = server.start()
    try:
        await _tune_for_tests(url)
        await asyncio.to_thread(migrate.upgrade, url)  # Alembic runs its own event loop
        yield PrivatePostgres(server, url)
    finally:
        server.close()


@dataclass
class StoppableRedis:
    server: EmbeddedRedis
    url: str


@pytest.fixture
def stoppable_redis(services: Services, tmp_path: Path) -> Iterator[StoppableRedis]:
    if services.redis is not None:
        yield StoppableRedis(services.redis, services.redis_url)
        if not services.redis.running:
            services.redis.start()  # a failed test must not leave the suite without Redis
        return
    private = EmbeddedRedis(tmp_path, persistent=False)
    url = private.start()
    try:
        yield StoppableRedis(private, url)
    finally:
        private.stop()


@pytest.fixture
async def served_api_token(database_url: str, clean_db: AsyncEngine) -> str:
    """An admin token for an employee of the harness database (emptied after the test)."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await connection.execute(
            "INSERT INTO erp.employee (name, email, title, hire_date, salary) "
            "VALUES ('Ops Tester', 'ops@example.com', 'SRE', '2024-01-01', 1) "
            "ON CONFLICT (email) DO NOTHING"
        )
    finally:
        await connection.close()
    return await admin_token(database_url)
