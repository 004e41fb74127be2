"""BI fixtures: a seeded company with metrics and production, and a BI login role dropped
afterwards."""

import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import asyncpg
import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from api.bi_role import ensure_bi_role
from domain.analytics import metrics
from domain.core.sessions import asyncpg_dsn
from domain.demo.production import add_production
from domain.demo.seed import seed_database
from tests.conftest import truncate_all


@dataclass(frozen=True)
class BiRole:
    name: str
    password: str
    dsn: str

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.dsn)


@pytest.fixture(scope="module")
async def company(database_url: str, engine: AsyncEngine) -> AsyncIterator[None]:
    """A seeded company for a module's read-only tests; emptied afterwards, as tests that
    commit (and tests on rolled-back sessions) expect to find the database."""
    await seed_database(database_url, customers=80, seed=5, today=date(2026, 6, 30), reset=True)
    await add_production(database_url)
    async with engine.begin() as connection:
        await metrics.recompute_all(connection)
    yield
    await truncate_all(engine)


async def drop_role(database_url: str, name: str) -> None:
    # Roles are cluster-wide and test runs may share a server: always drop what we made.
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        if await admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
            await admin.execute(f'DROP OWNED BY "{name}"')
            await admin.execute(f'DROP ROLE "{name}"')
    finally:
        await admin.close()


@pytest.fixture
async def bi_role(database_url: str) -> AsyncIterator[BiRole]:
    name = f"bizgraph_bi_test_{uuid.uuid4().hex[:8]}"
    password = secrets.token_urlsafe(24)
    await ensure_bi_role(database_url, name=name, password=password)
    url = make_url(database_url).set(username=name, password=password)
    try:
        yield BiRole(name, password, asyncpg_dsn(url.render_as_string(hide_password=False)))
    finally:
        await drop_role(database_url, name)
