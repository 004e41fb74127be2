"""Each employee's token gets a per-minute budget, shared by all API processes through Redis."""

import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from sqlalchemy import event
from starlette.applications import Starlette

from api.app import create_app
from api.security.rate_limit import RateLimiter
from api.settings import Settings
from domain.core.access import Viewer
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import Tokens, bearer

pytestmark = pytest.mark.usefixtures("demo")
QUERY = {"query": "{ customers(first: 1) { totalCount } }"}


@pytest.fixture
async def limited_app(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings.model_copy(update={"rate_limit_per_minute": 3}))
    # A fresh key space: other runs sharing this Redis must not spend this test's budget.
    app.state.security.rate_limiter.prefix = f"test-rate:{uuid.uuid4().hex}"
    yield app
    await app.state.security.close()
    await app.state.bizgraph.engine.dispose()


async def test_the_budget_is_per_employee_and_refusals_cost_no_sql(
    limited_app: Starlette, tokens: Tokens, database_url: str
) -> None:
    employee = await tokens.first_active_employee()
    colleague = await _another_employee(database_url, employee)
    statements: list[object] = []
    event.listen(
        limited_app.state.bizgraph.engine.sync_engine,
        "before_cursor_execute",
        lambda *args: statements.append(args),
    )
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def ask(email: str, *roles: str) -> httpx.Response:
            token = tokens.mint(email, *roles)
            return await client.post("/graphql", json=QUERY, headers=bearer(token))

        # Fresh tokens for the same employee share one budget.
        allowed = [
            (await ask(employee, roles)).status_code for roles in ("admin", "finance", "admin")
        ]
        statements.clear()
        refused = await ask(employee, "admin")
        refused_statements = len(statements)
        colleague_status = (await ask(colleague, "admin")).status_code
    assert allowed == [200, 200, 200]
    assert refused.status_code == 429
    assert refused_statements == 0
    assert colleague_status == 200
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    [error] = refused.json()["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["message"].startswith("more than 3 requests in a minute; retry in ")


async def _another_employee(database_url: str, besides: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        email = await connection.fetchval(
            "SELECT email FROM erp.employee WHERE status = 'active' AND email <> $1 "
            "ORDER BY id LIMIT 1",
            besides,
        )
    finally:
        await connection.close()
    return str(email)


async def test_the_budget_renews_each_minute(redis_url: str) -> None:
    limiter = RateLimiter(redis_url, 2, prefix=f"test-rate:{uuid.uuid4().hex}")
    viewer = Viewer(employee_id=1, email="a@b.c", roles=frozenset({"admin"}))
    minute = 1_800_000_000.0  # the start of a minute
    try:
        answers = [(await limiter.allow(viewer, now=minute + s))[0] for s in (0, 10, 20)]
        assert answers == [True, True, False]
        assert (await limiter.allow(viewer, now=minute + 20))[1] == 40
        assert (await limiter.allow(viewer, now=minute + 61))[0] is True
    finally:
        await limiter.close()


async def test_reads_keep_working_when_redis_is_down(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RateLimiter(f"unix://{tmp_path}/no-redis.sock", 1)
    viewer = Viewer(employee_id=1, email="a@b.c", roles=frozenset({"admin"}))
    try:
        with caplog.at_level(logging.WARNING, logger="api.security.rate_limit"):
            answers = [(await limiter.allow(viewer))[0] for _ in range(3)]
    finally:
        await limiter.close()
    assert answers == [True, True, True]
    warnings = [r for r in caplog.records if "Redis is unreachable" in r.getMessage()]
    # Logged once; Redis is not retried (nor logged again) for a few seconds.
    assert len(warnings) == 1


async def test_the_api_answers_while_redis_is_down(
    settings: Settings, tokens: Tokens, tmp_path: Path
) -> None:
    app = create_app(
        settings.model_copy(
            update={"rate_limit_per_minute": 1, "redis_url": f"unix://{tmp_path}/no-redis.sock"}
        )
    )
    transport = httpx.ASGITransport(app=app)
    token = await tokens.admin()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            statuses = [
                (await client.post("/graphql", json=QUERY, headers=bearer(token))).status_code
                for _ in range(3)
            ]
    finally:
        await app.state.security.close()
        await app.state.bizgraph.engine.dispose()
    assert statuses == [200, 200, 200]
