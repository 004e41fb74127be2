"""Prometheus metrics of the API, and the `/metrics` endpoint.

Request metrics are recorded once per request from its `RequestStats` (no per-field
hooks). With several server processes (`bizgraph serve --workers N`) prometheus-client's
multiprocess mode is on: `bizgraph serve` points PROMETHEUS_MULTIPROC_DIR at a fresh
directory before the processes start, each process writes its samples to memory-mapped
files there, and a scrape, answered by whichever process gets it, adds them all up.
Gauges read from PostgreSQL and Redis (backlog, run ages, queue depth) are computed at
scrape time by `api.probes`; when a server is down they are left out and
`bizgraph_database_up` / `bizgraph_redis_up` say so, and the scrape still succeeds.
"""

import collections
import os
import re
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from api.probes import Probes
from domain.core.reads import ReadPool
from domain.core.telemetry import RequestStats

LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "bizgraph_graphql_requests",
    "GraphQL requests by operation and HTTP status.",
    ["operation", "status"],
)
DURATION = Histogram(
    "bizgraph_graphql_request_duration_seconds",
    "GraphQL request latency by operation.",
    ["operation"],
    buckets=LATENCY,
)
ERRORS = Counter(
    "bizgraph_graphql_errors",
    "GraphQL errors returned, by operation and code.",
    ["operation", "code"],
)
STATEMENTS = Histogram(
    "bizgraph_sql_statements_per_request",
    "SQL statements one request ran, by operation.",
    ["operation"],
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89),
)
SQL_TIME = Histogram(
    "bizgraph_sql_seconds_per_request",
    "Wall time one request waited for SQL (concurrent statements counted once).",
    ["operation"],
    buckets=LATENCY,
)
BATCH_SIZE = Histogram(
    "bizgraph_dataloader_batch_size",
    "Keys per DataLoader batch, by loader.",
    ["loader"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
POOL = Gauge(
    "bizgraph_db_pool_connections",
    "Pooled database connections by state, all API processes.",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_CAPACITY = Gauge(
    "bizgraph_db_pool_capacity",
    "Pool size plus overflow, summed over live API processes.",
    multiprocess_mode="livesum",
)
ADMISSION_WAIT = Histogram(
    "bizgraph_admission_wait_seconds",
    "How long GraphQL requests waited in the admission queue (0 when admitted at once).",
    buckets=(0.001, *LATENCY),
)
ADMISSION_REFUSED = Counter(
    "bizgraph_admission_refused",
    "GraphQL requests refused as OVERLOADED: the admission queue was full or the wait ran out.",
)

# Operation names come from clients: a name must look like one and the number of distinct
# names per process is capped, so nobody can blow up the number of series.
_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_OPERATION_NAMES = 200
_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    if name is None:
        return "none"
    if name in _operations:
        return name
    if not _OPERATION_NAME.fullmatch(name) or len(_operations) >= MAX_OPERATION_NAMES:
        return "other"
    _operations.add(name)
    return name


@cache
def _per_operation(operation: str) -> tuple[Histogram, Histogram, Histogram]:
    # Looking up labelled children costs more than observing; each is looked up once.
    return DURATION.labels(operation), STATEMENTS.labels(operation), SQL_TIME.labels(operation)


@cache
def _child(metric: Counter | Histogram, *labels: str) -> Any:
    return metric.labels(*labels)


def record_request(stats: RequestStats, status: int, seconds: float) -> None:
    """Count one /graphql request."""
    operation = operation_label(stats.operation)
    duration, statements, sql_time = _per_operation(operation)
    _child(REQUESTS, operation, str(status)).inc()
    duration.observe(seconds)
    statements.observe(stats.statements)
    sql_time.observe(stats.sql_seconds)
    for code, count in collections.Counter(stats.error_codes).items():  # a page may hold hundreds
        _child(ERRORS, operation, code).inc(count)
    for loader, size in stats.batches:
        _child(BATCH_SIZE, loader).observe(size)


READ_POOL = Gauge(
    "bizgraph_read_pool_connections",
    "Read connections by state (in_use, idle) and requests waiting for one (waiting), all API "
    "processes. Waiting above zero is saturation: the process is busy, the database may be "
    "fine (/readyz does not fail for it).",
    ["state"],
    multiprocess_mode="livesum",
)
_IN_USE = POOL.labels("in_use")
_IDLE = POOL.labels("idle")
_READS_IN_USE = READ_POOL.labels("in_use")
_READS_IDLE = READ_POOL.labels("idle")
_READS_WAITING = READ_POOL.labels("waiting")


def sample_pool(engine: AsyncEngine, reads: ReadPool) -> None:
    """Read this process's pool counts (after each request and at scrape time)."""
    pool = engine.pool
    _IN_USE.set(pool.checkedout())  # type: ignore[attr-defined]
    _IDLE.set(pool.checkedin())  # type: ignore[attr-defined]
    in_use, idle, waiting = reads.usage()
    _READS_IN_USE.set(in_use)
    _READS_IDLE.set(idle)
    _READS_WAITING.set(waiting)


def forget_this_process() -> None:
    """On shutdown: drop this process's live gauges (pool) from the shared directory."""
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        mark_process_dead(os.getpid())


def _base_registry() -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


def metrics_endpoint(
    probes: Probes, engine: AsyncEngine, reads: ReadPool
) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(_: Request) -> Response:
        sample_pool(engine, reads)
        scraped = await probes.scrape()
        body = generate_latest(_base_registry()) + generate_latest(scraped)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return metrics
