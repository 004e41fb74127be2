"""Several workers at once: every event is relayed once and every job runs once."""

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import pytest
from arq import create_pool
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.sessions import asyncpg_dsn, create_engine
from domain.demo.seed import seed_database
from workers.job_names import REFRESH_CUSTOMER
from workers.main import WorkerOptions, build_worker
from workers.relay import relay_pending
from workers.settings import redis_settings


@pytest.fixture
async def db(database_url: str, clean_db: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    await seed_database(database_url, customers=40, seed=4, today=date(2026, 6, 30), reset=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def test_concurrent_relays_take_each_event_once(
    database_url: str, redis_url: str, queue: str, db: asyncpg.Connection
) -> None:
    await db.execute(
        "INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, customer_id) "
        "SELECT 'customer.updated', 'customer', id, id FROM crm.customer"
    )
    engines = [create_engine(database_url, pool_size=1) for _ in range(3)]
    redis = await create_pool(redis_settings(redis_url), default_queue_name=queue)
    try:
        relayed = await asyncio.gather(*(relay_pending(engine, redis) for engine in engines))
        assert sum(relayed) == 40
        assert await db.fetchval("SELECT count(*) FROM ops.outbox WHERE attempts <> 1") == 0
        queued = await redis.queued_jobs(queue_name=queue)
        refreshed = sorted(job.args[0] for job in queued if job.function == REFRESH_CUSTOMER)
        # Each customer's refresh queued once (plus the campaign refresh of each batch).
        assert refreshed == sorted(await db.fetchval("SELECT array_agg(id) FROM crm.customer"))
    finally:
        await redis.aclose()
        for engine in engines:
            await engine.dispose()


async def test_concurrent_workers_run_each_job_once(
    database_url: str, redis_url: str, queue: str, db: asyncpg.Connection
) -> None:
    customers = [r["id"] for r in await db.fetch("SELECT id FROM crm.customer ORDER BY id")]
    redis = await create_pool(redis_settings(redis_url), default_queue_name=queue)
    try:
        for customer_id in customers:
            job_id = f"customer-metrics:{customer_id}:test"
            assert await redis.enqueue_job(REFRESH_CUSTOMER, customer_id, _job_id=job_id)
            # The same job id again is refused while the job exists: no duplicate work.
            assert await redis.enqueue_job(REFRESH_CUSTOMER, customer_id, _job_id=job_id) is None
    finally:
        await redis.aclose()
    # Three jobs at a time each (ten by default): what is tested is that each job runs once,
    # and thirty connections at once could exceed the test server's connection limit.
    options = WorkerOptions(queue_name=queue, max_jobs=3)
    workers = [build_worker(database_url, redis_url, burst=True, options=options) for _ in range(3)]
    try:
        await asyncio.gather(*(worker.main() for worker in workers))
    finally:
        for worker in workers:
            await worker.close()
    assert sum(worker.jobs_complete for worker in workers) == len(customers)
    assert sum(worker.jobs_failed + worker.jobs_retried for worker in workers) == 0
    assert await db.fetchval("SELECT count(*) FROM analytics.customer_metrics") == len(customers)
