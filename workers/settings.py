"""arq worker settings: jobs, schedules, and the engine shared by the jobs of a process."""

import logging
import os
from typing import Any, ClassVar

from arq import cron
from arq.connections import RedisSettings

from domain.core.database import create_engine
from workers import jobs

log = logging.getLogger("bizgraph.worker")
HEALTH_CHECK_KEY = "bizgraph:worker:health"


async def startup(ctx: dict[str, Any]) -> None:
    database_url = ctx.get("database_url") or os.environ["DATABASE_URL"]
    ctx["engine"] = create_engine(database_url, pool_size=5, application_name="bizgraph-worker")
    log.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["engine"].dispose()


def redis_settings(url: str | None = None) -> RedisSettings:
    return RedisSettings.from_dsn(url or os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))


class WorkerSettings:
    functions: ClassVar[list[Any]] = [jobs.recompute_customer_metrics, jobs.recompute_all_metrics]
    cron_jobs: ClassVar[list[Any]] = [
        # Every second: latency from a committed change to its job stays around a second.
        cron(jobs.relay_outbox, second=set(range(60)), unique=True, run_at_startup=True),
        # Nightly: re-base RFM quintiles over everyone.
        cron(jobs.recompute_all_metrics, hour={2}, minute={0}, second={0}, unique=True),
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
