"""The worker's own metrics: how long each job ran and how it ended.

A worker is a separate process (often on another machine), so it serves its metrics on
its own port (`BIZGRAPH_WORKER_METRICS_PORT`); Prometheus scrapes every worker replica.
Recorded batch runs (`ops.job_run`) are also visible from the API's `/metrics`.

Every job function is wrapped once at worker build time (not per call site): the wrapper
times the job and, when PostgreSQL is unreachable, asks arq to retry the job later
instead of failing it.
"""

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from time import perf_counter
from typing import Any, TypeVar

from arq import Retry
from prometheus_client import Counter, Histogram, start_http_server

from domain.core.database_errors import is_database_unavailable

log = logging.getLogger("bizgraph.worker")

JobFunction = Callable[..., Awaitable[Any]]
Job = TypeVar("Job")

JOB_DURATION = Histogram(
    "bizgraph_job_duration_seconds",
    "Job run time by job and outcome (succeeded, failed, retried, cancelled).",
    ["job", "outcome"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0),
)
REDIS_OUTAGES = Counter(
    "bizgraph_worker_redis_outages", "Times the worker lost Redis and started reconnecting."
)


def retry_delay_s(job_try: int) -> float:
    """Back off 5 s, 10 s, 15 s… between tries while the database is unreachable."""
    return float(min(5 * job_try, 60))


def _timed(name: str, coroutine: JobFunction, *, retry_when_db_down: bool) -> JobFunction:
    async def job(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        started = perf_counter()
        outcome = "failed"
        try:
            result = await coroutine(ctx, *args, **kwargs)
            outcome = "succeeded"
            return result
        except asyncio.CancelledError:
            outcome = "cancelled"  # a timeout, or shutdown after the grace period
            raise
        except Retry:
            outcome = "retried"
            raise
        except Exception as error:
            if not (retry_when_db_down and is_database_unavailable(error)):
                raise
            outcome = "retried"
            delay = retry_delay_s(int(ctx.get("job_try", 1)))
            log.warning("%s: database unavailable (%s); retrying in %.0f s", name, error, delay)
            raise Retry(defer=delay) from error
        finally:
            JOB_DURATION.labels(name, outcome).observe(perf_counter() - started)

    return job


def instrumented(function: Job, *, retry_when_db_down: bool = True) -> Job:
    """A copy of an arq `Function` or `CronJob` whose coroutine is timed (see module doc)."""
    name: str = function.name  # type: ignore[attr-defined]
    coroutine: JobFunction = function.coroutine  # type: ignore[attr-defined]
    wrapped = _timed(name, coroutine, retry_when_db_down=retry_when_db_down)
    return dataclasses.replace(function, coroutine=wrapped)  # type: ignore[type-var]


def serve_metrics(port: int) -> None:
    """Serve this process's metrics on `port` (a daemon thread)."""
    start_http_server(port)
    log.info("worker metrics on port %d", port)
