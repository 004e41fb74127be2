"""The read pool: bounded, and never hands out a connection that failed or was cancelled."""

import asyncio
import time
import uuid

import asyncpg
import pytest
from sqlalchemy import func, literal, select

from domain.core.database import asyncpg_dsn
from domain.core.reads import ReadPool, compile_select

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
