"""Running the worker: through Redis outages, and to a clean stop on SIGTERM.

- SIGTERM / SIGINT: left to itself, arq cancels running jobs at once (and queues them
  again). With `job_completion_wait` set to `shutdown_grace_s` it stops taking jobs and
  lets running ones finish for up to that long; what still runs then is cancelled and
  queued again for another worker. Jobs are idempotent, so a re-run is safe.
- Redis lost while running: arq's loop raises. Running jobs finish their database work,
  resources are released, and a fresh arq worker connects with backoff; Redis down at
  start is the same loop. The process never exits because of Redis. Pending work waits
  in the outbox in PostgreSQL meanwhile.
- A job killed with its worker (SIGKILL, lost machine) runs again once its in-progress
  marker expires: three missed heartbeats (`heartbeat_s`, see `workers.liveness`), however
  long the job may run. Its process pool dies with it.
- Work lost with Redis (a restart without persistence) is queued again by the relay once
  its deadline passes (`effect_deadline_s`, see `workers.relay`).
- PostgreSQL unreachable inside a job: the job is retried later (see `workers.metrics`).
"""

import asyncio
import dataclasses
import logging
import socket
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from arq.worker import Function, Worker, async_check_health, func
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from workers import relay
from workers.liveness import marker_ttl_s, with_heartbeat
from workers.metrics import REDIS_OUTAGES, instrumented, serve_metrics
from workers.settings import HEALTH_CHECK_KEY, WorkerSettings, redis_settings

log = logging.getLogger("bizgraph.worker")

REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, ConnectionError, OSError)
MAX_BACKOFF_S = 30.0


@dataclass(frozen=True)
class WorkerOptions:
    queue_name: str = WorkerSettings.queue_name
    job_timeout_s: int = WorkerSettings.job_timeout
    heartbeat_s: float = 10.0
    effect_deadline_s: float = relay.DEADLINE_S
    shutdown_grace_s: int = 20
    max_jobs: int = 10  # jobs one worker runs at once (each may hold a database connection)
    metrics_port: int = 0


def health_key() -> str:
    """Per host (container), so `bizgraph worker --check` checks the worker next to it."""
    return f"{HEALTH_CHECK_KEY}:{socket.gethostname()}"


def _bounded(function: Any, options: WorkerOptions) -> Function:
    job = func(function)
    timeout = min(job.timeout_s or options.job_timeout_s, options.job_timeout_s)
    return with_heartbeat(
        instrumented(dataclasses.replace(job, timeout_s=timeout)), options.heartbeat_s
    )


def build_worker(
    database_url: str,
    redis_url: str,
    *,
    burst: bool = False,
    options: WorkerOptions | None = None,
) -> Worker:
    options = options or WorkerOptions()
    limit = options.job_timeout_s
    worker = Worker(
        functions=[_bounded(f, options) for f in WorkerSettings.functions],
        # A burst run drains the queue once; schedules would keep it alive forever.
        cron_jobs=None
        if burst
        else [
            with_heartbeat(
                instrumented(
                    dataclasses.replace(c, timeout_s=min(c.timeout_s or limit, limit)),
                    retry_when_db_down=False,
                ),
                options.heartbeat_s,
            )
            for c in WorkerSettings.cron_jobs
        ],
        on_startup=WorkerSettings.on_startup,
        on_shutdown=WorkerSettings.on_shutdown,
        queue_name=options.queue_name,
        redis_settings=redis_settings(redis_url),
        burst=burst,
        max_jobs=options.max_jobs,
        keep_result=WorkerSettings.keep_result,
        job_timeout=options.job_timeout_s,
        job_completion_wait=options.shutdown_grace_s,
        health_check_key=health_key(),
        health_check_interval=WorkerSettings.health_check_interval,
        ctx={
            "database_url": database_url,
            "job_timeout_s": options.job_timeout_s,
            "effect_deadline_s": options.effect_deadline_s,
        },
        poll_delay=0.2,
    )
    # arq's marker would live the longest job timeout + 10 s; the heartbeat renews a shorter one.
    worker.in_progress_timeout_s = marker_ttl_s(options.heartbeat_s)
    return worker


async def _release(worker: Worker) -> None:
    """What `Worker.close()` does, also when Redis is gone: jobs finish, resources are freed."""
    if worker.tasks:
        await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
    if "redis" not in worker.ctx:  # never connected, so startup never ran
        return
    with suppress(*REDIS_DOWN):
        await worker.pool.delete(worker.health_check_key)
    if worker.on_shutdown is not None:
        await worker.on_shutdown(worker.ctx)
    with suppress(*REDIS_DOWN):
        await worker.pool.aclose(close_connection_pool=True)


async def serve(database_url: str, redis_url: str, options: WorkerOptions) -> None:
    """Work until SIGTERM / SIGINT, whatever Redis does meanwhile."""
    if options.metrics_port:
        serve_metrics(options.metrics_port)
    stopping = asyncio.Event()
    delay = 1.0
    while not stopping.is_set():
        worker = build_worker(database_url, redis_url, options=options)
        worker.on_stop = lambda _signal: stopping.set()
        try:
            await worker.async_run()
        except asyncio.CancelledError:
            # arq cancels its main task on a signal; anything else is a real cancellation.
            if not stopping.is_set():
                raise
        except REDIS_DOWN as error:
            REDIS_OUTAGES.inc()
            if "redis" in worker.ctx:
                delay = 1.0  # it was connected: start the backoff over
            log.warning("redis unavailable (%s); reconnecting in %.0f s", error, delay)
        finally:
            await _release(worker)
        if not stopping.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
    log.info("worker stopped")


async def drain(database_url: str, redis_url: str, *, queue_name: str | None = None) -> None:
    """Relay pending outbox events, then run every queued job and stop (burst mode)."""
    from arq import create_pool

    from domain.core.sessions import create_engine
    from workers.relay import relay_pending

    options = WorkerOptions(queue_name=queue_name or WorkerSettings.queue_name)
    engine = create_engine(database_url, pool_size=1)
    redis = await create_pool(redis_settings(redis_url), default_queue_name=options.queue_name)
    try:
        await relay_pending(engine, redis)
    finally:
        await redis.aclose()
        await engine.dispose()
    worker = build_worker(database_url, redis_url, burst=True, options=options)
    try:
        await worker.main()
    finally:
        await worker.close()


def run(
    database_url: str, redis_url: str, *, burst: bool = False, options: WorkerOptions | None = None
) -> None:
    """Run until stopped (or, with `burst`, until the queue is empty)."""
    options = options or WorkerOptions()
    if burst:
        asyncio.run(drain(database_url, redis_url, queue_name=options.queue_name))
    else:
        asyncio.run(serve(database_url, redis_url, options))


def check(redis_url: str) -> int:
    """0 when the worker on this host recorded its health recently (arq's health check)."""
    return asyncio.run(
        async_check_health(redis_settings(redis_url), health_key(), WorkerSettings.queue_name)
    )
