"""Running the worker: reconnects to Redis with backoff instead of exiting when it is down."""

import asyncio
import logging
import time

from arq.worker import Worker, async_check_health
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from workers.settings import HEALTH_CHECK_KEY, WorkerSettings, redis_settings

log = logging.getLogger("bizgraph.worker")


def build_worker(
    database_url: str, redis_url: str, *, burst: bool = False, queue_name: str | None = None
) -> Worker:
    return Worker(
        functions=WorkerSettings.functions,
        # A burst run drains the queue once; schedules would keep it alive forever.
        cron_jobs=None if burst else WorkerSettings.cron_jobs,
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        queue_name=queue_name or WorkerSettings.queue_name,
        redis_settings=redis_settings(redis_url),
        burst=burst,
        keep_result=WorkerSettings.keep_result,
        job_timeout=WorkerSettings.job_timeout,
        health_check_key=HEALTH_CHECK_KEY,
        health_check_interval=WorkerSettings.health_check_interval,
        ctx={"database_url": database_url},
        poll_delay=0.2,
    )


async def drain(database_url: str, redis_url: str, *, queue_name: str | None = None) -> None:
    """Relay pending outbox events, then run every queued job and stop (burst mode)."""
    from arq import create_pool

    from domain.core.database import create_engine
    from workers.relay import relay_pending

    engine = create_engine(database_url, pool_size=1)
    redis = await create_pool(
        redis_settings(redis_url), default_queue_name=queue_name or WorkerSettings.queue_name
    )
    try:
        await relay_pending(engine, redis)
    finally:
        await redis.aclose()
        await engine.dispose()
    worker = build_worker(database_url, redis_url, burst=True, queue_name=queue_name)
    try:
        await worker.main()
    finally:
        await worker.close()


def run(database_url: str, redis_url: str, *, burst: bool = False) -> None:
    """Run until stopped (or, with `burst`, until the queue is empty)."""
    if burst:
        asyncio.run(drain(database_url, redis_url))
        return
    delay = 1.0
    while True:
        try:
            build_worker(database_url, redis_url).run()
            return
        except (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError) as error:
            log.warning("redis unavailable (%s); retrying in %.0f s", error, delay)
            time.sleep(delay)
            delay = min(delay * 2, 30.0)


def check(redis_url: str) -> int:
    """0 when a worker recorded its health recently (arq's health check), else 1."""
    return asyncio.run(
        async_check_health(redis_settings(redis_url), HEALTH_CHECK_KEY, WorkerSettings.queue_name)
    )
