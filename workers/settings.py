"""arq worker settings: jobs, schedules, and what the jobs of a process share.

A worker process holds one database engine and one process pool. Model fits (Prophet,
BG/NBD, the Monte Carlo intervals) run in the pool so the event loop keeps relaying events
and refreshing customers while a nightly run is busy. The pool's processes are started
with `spawn`: a clean interpreter, not a fork of a process with an event loop and open
sockets. They start on first use, so a worker that never forecasts never pays for them,
and they die with the worker, however it ends (`workers.liveness`).

Health: the worker writes its health to Redis every `health_check_interval` seconds;
`bizgraph worker --check` (arq's `check_health`, like `arq --check`) exits 0 while that
record is fresh and 1 otherwise — use it as the container health check.
"""

import logging
import os
from datetime import date
from typing import Any, ClassVar

from arq import cron, func
from arq.connections import RedisSettings

from domain.analytics.pool import process_pool
from domain.analytics.prophet_model import quiet
from domain.core.sessions import create_engine
from workers import jobs
from workers.liveness import die_with_parent

log = logging.getLogger("bizgraph.worker")
HEALTH_CHECK_KEY = "bizgraph:worker:health"
REFRESH_TIMEOUT_S = 60
WEBHOOK_TIMEOUT_S = 90


def pool_size() -> int:
    return int(os.environ.get("BIZGRAPH_WORKER_PROCESSES") or os.cpu_count() or 1)


def analytics_as_of() -> date | None:
    """`BIZGRAPH_ANALYTICS_AS_OF` (YYYY-MM-DD): whole-data steps run as of that day instead
    of today (to replay a past night, and for tests on a company whose history ended then)."""
    value = os.environ.get("BIZGRAPH_ANALYTICS_AS_OF")
    return date.fromisoformat(value) if value else None


async def startup(ctx: dict[str, Any]) -> None:
    database_url = ctx.get("database_url") or os.environ["DATABASE_URL"]
    ctx["engine"] = create_engine(database_url, pool_size=5, application_name="bizgraph-worker")
    ctx["as_of"] = analytics_as_of()
    ctx["pool"] = process_pool(pool_size(), start_pool_process, (os.getpid(),))
    await jobs.close_abandoned_runs(ctx)
    log.info("worker started")


def start_pool_process(worker_pid: int) -> None:
    die_with_parent(worker_pid)
    quiet()


async def shutdown(ctx: dict[str, Any]) -> None:
    pool = ctx.pop("pool", None)
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
    await ctx["engine"].dispose()


def redis_settings(url: str | None = None) -> RedisSettings:
    return RedisSettings.from_dsn(url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


class WorkerSettings:
    functions: ClassVar[list[Any]] = [
        # Event-driven refreshes take well under a second; a stuck one is cut off soon and
        # its effect queued again by the relay (workers.relay).
        func(jobs.refresh_customer, timeout=REFRESH_TIMEOUT_S),
        func(jobs.refresh_campaigns, timeout=REFRESH_TIMEOUT_S),
        func(jobs.refresh_replenishment, timeout=REFRESH_TIMEOUT_S),
        # Bounded by BIZGRAPH_JOB_TIMEOUT_S like the rest; a run cut off is taken up again.
        jobs.run_import,
        jobs.recompute_steps,
        jobs.recompute_step,
        jobs.nightly_recompute,
        jobs.housekeeping,
    ]
    cron_jobs: ClassVar[list[Any]] = [
        # Every second: latency from a committed change to its job stays around a second.
        cron(jobs.relay_outbox, second=set(range(60)), unique=True, run_at_startup=True),
        # Every second too: a delivery is sent about a second after its event is relayed. A
        # run lasts while there is work (its budget, plus one request's time-out, at most).
        cron(
            jobs.deliver_webhooks,
            second=set(range(60)),
            unique=True,
            run_at_startup=True,
            timeout=WEBHOOK_TIMEOUT_S,
        ),
        # Nightly (UTC): re-base RFM quintiles, refit every model. At start-up it runs only
        # the steps without a recent run, so a fresh install gets its forecasts right away.
        # Like every job it is bounded by BIZGRAPH_JOB_TIMEOUT_S (the whole run takes ~25 s
        # for 100,000 customers on two cores); a killed worker's run is taken up again after
        # three missed heartbeats, whatever the timeout (workers.liveness).
        cron(
            jobs.nightly_recompute,
            hour={2},
            minute={0},
            second={0},
            unique=True,
            run_at_startup=True,
        ),
        cron(jobs.housekeeping, hour={3}, minute={30}, second={0}, unique=True),
        # Runs whose worker died (their heartbeat stopped) are marked failed within a minute.
        cron(jobs.close_abandoned_runs, second={0, 30}, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = os.environ.get("BIZGRAPH_QUEUE_NAME", "bizgraph:queue")
    health_check_key = HEALTH_CHECK_KEY
    health_check_interval = 30
    # Results are not needed; keeping none lets a later event reuse a finished job's id.
    keep_result = 0
    job_timeout = 600
    redis_settings = redis_settings()
