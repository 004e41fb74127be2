"""A worker killed mid-job, and a worker asked to stop mid-job, against real processes.

"Mid-job" is made deterministic with a table lock: the test holds an EXCLUSIVE lock on
`analytics.customer_metrics`, so the full recompute blocks on its write, and the test
acts once PostgreSQL shows the worker's session waiting for that lock.
"""

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import asyncpg
import pytest
from arq import create_pool
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics import metrics
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.faults.processes import (
    BizgraphProcess,
    child_processes,
    has_ended,
    wait_until,
    worker_check,
    worker_process,
)
from tests.workers.freshness import mark_figures_fresh
from workers.job_names import RECOMPUTE_STEP
from workers.settings import redis_settings

CUSTOMERS = 60
# Short beats, so a killed worker's claim on its job lapses within seconds (three beats).
HEARTBEAT_S = "0.5"
METRICS = (
    "SELECT customer_id, lifetime_revenue, order_count, average_order_value, first_order_at, "
    "last_order_at, open_balance, overdue_balance, recency_days, r_score, f_score, m_score, "
    "rfm_segment FROM analytics.customer_metrics ORDER BY customer_id"
)


@pytest.fixture
async def db(database_url: str, clean_db: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    await seed_database(
        database_url, customers=CUSTOMERS, seed=9, today=date(2026, 6, 30), reset=True
    )
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    await mark_figures_fresh(connection)
    yield connection
    await connection.close()


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[tuple[str, ArqRedis]]:
    name = f"test-faults-{uuid.uuid4().hex[:8]}"
    pool = await create_pool(redis_settings(redis_url), default_queue_name=name)
    yield name, pool
    await pool.aclose()


async def _clean_run(engine: AsyncEngine, db: asyncpg.Connection) -> list[asyncpg.Record]:
    """The rows one uninterrupted recompute writes; the table is emptied again afterwards."""
    async with engine.begin() as connection:
        await metrics.recompute_all(connection)
    rows = await db.fetch(METRICS)
    await db.execute("TRUNCATE analytics.customer_metrics")
    return rows


async def _lock_metrics(database_url: str) -> asyncpg.Connection:
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    await holder.execute("BEGIN; LOCK TABLE analytics.customer_metrics IN EXCLUSIVE MODE")
    return holder


async def _waiting_sessions(db: asyncpg.Connection) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE application_name = 'bizgraph-worker' AND wait_event_type = 'Lock'"
        )
    )


async def _wait_until_blocked(db: asyncpg.Connection, worker: BizgraphProcess) -> None:
    async def blocked() -> bool:
        assert worker.alive(), worker.log()[-3000:]
        return await _waiting_sessions(db) > 0

    await wait_until(blocked, within=30, what="the job waiting for the table lock")


async def _succeeded_runs(db: asyncpg.Connection) -> int:
    return int(
        await db.fetchval(
            "SELECT count(*) FROM ops.job_run WHERE name = $1 AND status = 'succeeded' "
            "AND started_at > now() - interval '30 minutes'",
            "recompute_all_metrics",
        )
    )


async def test_a_job_killed_with_its_worker_reruns_to_the_same_result(
    database_url: str,
    redis_url: str,
    clean_db: AsyncEngine,
    db: asyncpg.Connection,
    queue: tuple[str, ArqRedis],
    tmp_path: Path,
) -> None:
    expected = await _clean_run(clean_db, db)
    name, pool = queue
    holder = await _lock_metrics(database_url)
    settings = {"BIZGRAPH_JOB_HEARTBEAT_S": HEARTBEAT_S}
    first = worker_process(database_url, redis_url, name, tmp_path / "1.log", **settings)
    second = worker_process(database_url, redis_url, name, tmp_path / "2.log", **settings)
    try:
        await pool.enqueue_job(RECOMPUTE_STEP, "metrics", _job_id="recompute-all-killed")
        first.start()
        await _wait_until_blocked(db, first)
        first.signal(signal.SIGKILL)
        assert await first.exit_code() == -signal.SIGKILL
        await holder.execute("ROLLBACK")
        assert await db.fetchval("SELECT count(*) FROM analytics.customer_metrics") == 0

        second.start()

        async def rerun_done() -> bool:
            return await _succeeded_runs(db) == 1

        await wait_until(rerun_done, within=60, what="the killed job re-run to success")
        assert "try=2" in second.log()  # arq ran the same job again, not a new one
        assert await db.fetch(METRICS) == expected
    finally:
        first.stop()
        second.stop()
        await holder.close()


async def test_sigterm_lets_the_running_job_finish(
    database_url: str,
    redis_url: str,
    clean_db: AsyncEngine,
    db: asyncpg.Connection,
    queue: tuple[str, ArqRedis],
    tmp_path: Path,
) -> None:
    expected = await _clean_run(clean_db, db)
    name, pool = queue
    holder = await _lock_metrics(database_url)
    worker = worker_process(database_url, redis_url, name, tmp_path / "w.log")
    try:
        await pool.enqueue_job(RECOMPUTE_STEP, "metrics", _job_id="recompute-all-sigterm")
        worker.start()
        await _wait_until_blocked(db, worker)
        assert await asyncio.to_thread(worker_check, redis_url, database_url) == 0
        worker.signal(signal.SIGTERM)
        await worker.wait_for_log("shutdown on SIGTERM")
        await holder.execute("ROLLBACK")
        assert await worker.exit_code() == 0
        assert await _succeeded_runs(db) == 1
        assert await db.fetch(METRICS) == expected
        assert "0 ongoing to cancel" in worker.log()
        assert await asyncio.to_thread(worker_check, redis_url, database_url) == 1
    finally:
        worker.stop()
        await holder.close()


async def test_a_long_job_keeps_its_claim_while_its_worker_lives(
    database_url: str,
    redis_url: str,
    clean_db: AsyncEngine,
    db: asyncpg.Connection,
    queue: tuple[str, ArqRedis],
    tmp_path: Path,
) -> None:
    """The job outlives its marker's lifetime (2 s beats: 6 s) and no other worker
    takes it: the heartbeat renews the claim, so only a dead worker's job runs again."""
    name, pool = queue
    holder = await _lock_metrics(database_url)
    # A marker lives three 2 s beats: a busy machine would have to hold back two beats in a
    # row for it to lapse under a live job.
    settings = {"BIZGRAPH_JOB_HEARTBEAT_S": "2"}
    workers = [
        worker_process(database_url, redis_url, name, tmp_path / f"{n}.log", **settings)
        for n in range(2)
    ]
    try:
        await pool.enqueue_job(RECOMPUTE_STEP, "metrics", _job_id="recompute-all-long")
        for worker in workers:
            worker.start()
        await wait_until(
            lambda: _waiting_sessions_is(db, 1), within=30, what="the job waiting for the lock"
        )
        blocked_at = asyncio.get_running_loop().time()

        async def claimed_for_a_while() -> bool:
            assert await _waiting_sessions(db) == 1, "a second worker took the running job"
            assert await pool.exists("arq:in-progress:recompute-all-long")
            return asyncio.get_running_loop().time() - blocked_at > 8

        await wait_until(claimed_for_a_while, within=30, what="eight seconds of one claim")
        await holder.execute("ROLLBACK")

        async def finished() -> bool:
            return await _succeeded_runs(db) == 1

        await wait_until(finished, within=30, what="the job's one run")
        runs = await db.fetchval(
            "SELECT count(*) FROM ops.job_run WHERE name = 'recompute_all_metrics' "
            "AND started_at > now() - interval '30 minutes'"
        )
        assert runs == 1  # started once, by one worker
        assert not any("try=2" in worker.log() for worker in workers)
    finally:
        for worker in workers:
            worker.stop()
        await holder.close()


async def _waiting_sessions_is(db: asyncpg.Connection, count: int) -> bool:
    return await _waiting_sessions(db) == count


async def test_a_killed_workers_pool_processes_end_with_it(
    database_url: str,
    redis_url: str,
    clean_db: AsyncEngine,
    db: asyncpg.Connection,
    queue: tuple[str, ArqRedis],
    tmp_path: Path,
) -> None:
    name, pool = queue
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    await holder.execute("BEGIN; LOCK TABLE analytics.customer_forecast IN EXCLUSIVE MODE")
    worker = worker_process(
        database_url, redis_url, name, tmp_path / "w.log", BIZGRAPH_WORKER_PROCESSES="2"
    )
    try:
        # The customer step fits its models in the pool, then waits to write its figures.
        await pool.enqueue_job(RECOMPUTE_STEP, "customers", _job_id="forecast-killed")
        worker.start()
        await _wait_until_blocked(db, worker)
        children = child_processes(worker.pid)
        assert len(children) >= 2, worker.log()[-3000:]  # the pool (and its resource tracker)
        worker.signal(signal.SIGKILL)
        assert await worker.exit_code() == -signal.SIGKILL

        async def all_gone() -> bool:
            return all(has_ended(pid) for pid in children)

        await wait_until(all_gone, within=15, what="the pool processes ending with the worker")
    finally:
        worker.stop()
        await holder.close()
