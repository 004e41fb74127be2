"""The read pool: bounded, and never hands out a connection that failed or was cancelled."""

import asyncio
import time
import uuid

import asyncpg
import pytest
from sqlalchemy import func, literal, select

from domain.core.access import Viewer
from domain.core.database_errors import StatementBudgetSpent, is_statement_timeout
from domain.core.reads import ReadPool, compile_select
from domain.core.sessions import asyncpg_dsn
from schema.core.loaders import Loaders

SLEEP = compile_select(select(func.pg_sleep(literal(0.05)).label("slept")))
FAIL = compile_select(select((literal(1) / literal(0)).label("boom")))
ONE = compile_select(select(literal(1).label("one")))


async def _connections(database_url: str, name: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return await connection.fetch(  # type: ignore[no-any-return]
            "SELECT pid, state, query FROM pg_stat_activity WHERE application_name = $1", name
        )
    finally:
        await connection.close()


async def test_statements_beyond_the_pool_size_wait_for_a_connection(database_url: str) -> None:
    name = f"read-pool-{uuid.uuid4().hex[:8]}"
    pool = ReadPool(database_url, max_size=2, application_name=name)
    try:
        results = await asyncio.gather(*(pool.fetch(SLEEP) for _ in range(6)))
        assert len(results) == 6
        assert len(await _connections(database_url, name)) == 2
    finally:
        await pool.close()


async def test_a_failed_or_cancelled_statement_leaves_the_pool_usable(database_url: str) -> None:
    name = f"read-pool-{uuid.uuid4().hex[:8]}"
    pool = ReadPool(database_url, max_size=1, application_name=name)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await pool.fetch(FAIL)
        assert [row["one"] for row in await pool.fetch(ONE)] == [1]

        long = compile_select(select(func.pg_sleep(literal(3)).label("slept")))
        task = asyncio.create_task(pool.fetch(long))
        deadline = time.monotonic() + 10
        while not any(r["state"] == "active" for r in await _connections(database_url, name)):
            assert time.monotonic() < deadline, "the statement never started"
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # The cancelled statement's connection was closed, not handed to the next statement
        # (which would fail with "another operation is in progress").
        assert [row["one"] for row in await pool.fetch(ONE)] == [1]
    finally:
        await pool.close()


async def _wait_until_active(database_url: str, name: str, statements: int) -> None:
    """Until `statements` statements of pool `name` are running (blocked on the lock)."""
    while True:
        rows = await _connections(database_url, name)
        if sum(r["state"] == "active" and "pg_advisory" in r["query"] for r in rows) >= statements:
            return
        await asyncio.sleep(0.01)


async def test_one_owner_cannot_take_the_whole_pool(database_url: str) -> None:
    name = f"read-pool-{uuid.uuid4().hex[:8]}"
    pool = ReadPool(database_url, max_size=4, per_owner=2, application_name=name)
    locked = compile_select(select(func.pg_advisory_xact_lock_shared(literal(4242)).label("x")))
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    await holder.execute("SELECT pg_advisory_lock(4242)")
    greedy: list[asyncio.Task[object]] = []
    try:
        # Six statements of one client, each blocked until the lock is released.
        greedy = [asyncio.create_task(pool.fetch(locked, owner="greedy")) for _ in range(6)]
        await asyncio.wait_for(_wait_until_active(database_url, name, 2), timeout=30)
        # Another client still gets a connection: without shares, it would queue behind them.
        assert [r["one"] for r in await asyncio.wait_for(pool.fetch(ONE, owner="other"), 30)] == [1]
        running = await _connections(database_url, name)
        assert sum("pg_advisory" in r["query"] and r["state"] == "active" for r in running) == 2
        assert not any(task.done() for task in greedy)
        await holder.execute("SELECT pg_advisory_unlock(4242)")
        assert len(await asyncio.wait_for(asyncio.gather(*greedy), timeout=30)) == 6
    finally:
        for task in greedy:
            task.cancel()
        await holder.close()
        await pool.close()


async def test_a_request_statement_budget_cuts_its_statements_off(database_url: str) -> None:
    pool = ReadPool(database_url, max_size=2)
    viewer = Viewer(employee_id=1, email="budget@example.com", roles=frozenset({"admin"}))
    loaders = Loaders(pool, viewer, statement_budget_ms=200)
    long = compile_select(select(func.pg_sleep(literal(30)).label("slept")))
    try:
        with pytest.raises(StatementBudgetSpent) as spent:
            await loaders.fetch(long)
        assert is_statement_timeout(spent.value)  # the API answers QUERY_TIMEOUT
        # Spent: the next statement does not even start.
        with pytest.raises(StatementBudgetSpent):
            await loaders.fetch(ONE)
        # The pool and other requests are unaffected.
        fresh = Loaders(pool, viewer, statement_budget_ms=200)
        assert [r["one"] for r in await fresh.fetch(ONE)] == [1]
    finally:
        await pool.close()
