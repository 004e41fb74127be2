"""Worker test fixtures: a seeded demo company and the real worker in burst mode."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from arq import create_pool
from arq.constants import (
    in_progress_key_prefix,
    job_key_prefix,
    result_key_prefix,
    retry_key_prefix,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics.daily import utc_today
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from workers.main import drain
from workers.settings import redis_settings

DEMO_CUSTOMERS = 80


@pytest.fixture
async def demo(database_url: str, clean_db: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A demo company whose history ends today, and a connection to look at it."""
    await seed_database(
        database_url, customers=DEMO_CUSTOMERS, seed=3, today=utc_today(), reset=True
    )
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


@pytest.fixture
async def queue(redis_url: str) -> AsyncIterator[str]:
    """A queue of this test's own, so no job of another test can interfere."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    yield name
    # Job ids are global in Redis, not per queue, and the next run's database hands out the
    # same outbox ids again: a job left queued here would block that run's job of the same
    # id (against a Redis given by REDIS_URL, which outlives the run).
    redis = await create_pool(redis_settings(redis_url))
    try:
        job_ids = [job_id.decode() for job_id in await redis.zrange(name, 0, -1)]
        prefixes = (job_key_prefix, in_progress_key_prefix, retry_key_prefix, result_key_prefix)
        await redis.delete(name, *(prefix + job_id for job_id in job_ids for prefix in prefixes))
    finally:
        await redis.aclose()


async def run_worker(database_url: str, redis_url: str, queue: str) -> None:
    """Relay pending outbox events, then run every queued job with the real worker."""
    await drain(database_url, redis_url, queue_name=queue)


async def enqueue(redis_url: str, queue: str, job: str, *args: Any, job_id: str) -> None:
    redis = await create_pool(redis_settings(redis_url), default_queue_name=queue)
    try:
        await redis.enqueue_job(job, *args, _job_id=job_id)
    finally:
        await redis.aclose()
