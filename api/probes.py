"""Asking PostgreSQL and Redis how they are, quickly, for `/readyz` and `/metrics`.

Every probe has a tight timeout and turns failure into data: a probe never raises, so a
readiness check or a scrape answers even while a server is down.
"""

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from time import perf_counter
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from api.migrate import known_revisions
from domain.analytics.operational import OperationalSnapshot, snapshot
from domain.core.sessions import create_engine

PROBE_TIMEOUT_S = 1.0


@dataclass
class Check:
    ok: bool
    ms: float
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "ms": round(self.ms, 1), **self.detail}


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {PROBE_TIMEOUT_S:g} s"
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{error.__class__.__name__}: {first}" if first else error.__class__.__name__


@cache
def _revisions() -> tuple[list[str], frozenset[str]]:
    heads, known = known_revisions()
    return sorted(heads), frozenset(known)


def migrations_check(current: list[str]) -> Check:
    """At head, or ahead: a revision this code does not know is a newer one, applied by
    the migrate step of a rolling upgrade while this (older) version still serves."""
    heads, known = _revisions()
    detail: dict[str, Any] = {"current": current, "head": heads}
    if current == heads:
        return Check(True, 0.0, detail)
    if current and not set(current) & known:
        return Check(True, 0.0, {**detail, "note": "database is ahead of this version"})
    return Check(False, 0.0, {**detail, "error": "database is behind: run bizgraph migrate"})


class Probes:
    """Probes on connections of their own: a pool saturated by requests is a busy replica, not
    an unready one (its saturation is a metric); readiness asks whether PostgreSQL answers."""

    def __init__(self, database_url: str, redis_url: str | None, queue_name: str) -> None:
        # One connection kept, a second one while a readiness check and a scrape overlap.
        # Probes need no transaction: autocommit saves the BEGIN/ROLLBACK round trips.
        self._engine = create_engine(
            database_url,
            pool_size=1,
            max_overflow=1,
            connect_timeout_s=PROBE_TIMEOUT_S,
            pool_timeout_s=PROBE_TIMEOUT_S,
            application_name="bizgraph-probe",
        )
        self.engine = self._engine.execution_options(isolation_level="AUTOCOMMIT")
        self.redis = (
            Redis.from_url(redis_url, socket_timeout=PROBE_TIMEOUT_S, socket_connect_timeout=1)
            if redis_url
            else None
        )
        self.queue_name = queue_name

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await self._engine.dispose()

    async def database(self) -> tuple[Check, Check]:
        """(PostgreSQL reachable, migrations at head)."""
        started = perf_counter()
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S), self.engine.connect() as connection:
                try:
                    rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                    current = sorted(rows.scalars())
                except ProgrammingError:
                    current = []
        except Exception as error:
            elapsed = (perf_counter() - started) * 1000
            down = Check(False, elapsed, {"error": _describe(error)})
            return down, Check(False, 0.0, {"error": "database unreachable"})
        elapsed = (perf_counter() - started) * 1000
        return Check(True, elapsed, {}), migrations_check(current)

    async def redis_ping(self) -> Check:
        started = perf_counter()
        if self.redis is None:
            return Check(False, 0.0, {"error": "REDIS_URL is not set"})
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                await self.redis.ping()
        except Exception as error:
            return Check(False, (perf_counter() - started) * 1000, {"error": _describe(error)})
        return Check(True, (perf_counter() - started) * 1000, {})

    async def scrape(self) -> "ScrapedGauges":
        """Gauges read from the servers now; missing ones when a server does not answer."""
        operational, queued = await asyncio.gather(self._operational(), self._queue_depth())
        return ScrapedGauges(operational, queued)

    async def _operational(self) -> OperationalSnapshot | None:
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S), self.engine.connect() as connection:
                return await snapshot(connection)
        except Exception:
            return None

    async def _queue_depth(self) -> int | None:
        if self.redis is None:
            return None
        try:
            async with asyncio.timeout(PROBE_TIMEOUT_S):
                return int(await self.redis.zcard(self.queue_name))
        except Exception:
            return None


def _gauge(name: str, documentation: str, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=labels)


@dataclass
class ScrapedGauges:
    """A prometheus-client collector over values read at scrape time."""

    operational: OperationalSnapshot | None
    queued_jobs: int | None

    def collect(self) -> Iterator[Metric]:
        up = _gauge("bizgraph_database_up", "1 if the scrape could read PostgreSQL.")
        up.add_metric([], 0 if self.operational is None else 1)
        yield up
        redis_up = _gauge("bizgraph_redis_up", "1 if the scrape could read the job queue.")
        redis_up.add_metric([], 0 if self.queued_jobs is None else 1)
        yield redis_up
        if self.queued_jobs is not None:
            queued = _gauge("bizgraph_queue_jobs", "Jobs waiting in the arq queue.")
            queued.add_metric([], self.queued_jobs)
            yield queued
        if self.operational is not None:
            yield from _operational_metrics(self.operational)


def _operational_metrics(found: OperationalSnapshot) -> Iterator[Metric]:
    backlog = _gauge("bizgraph_outbox_backlog_events", "Outbox events not yet relayed.")
    backlog.add_metric([], found.outbox_backlog)
    oldest = _gauge(
        "bizgraph_outbox_oldest_event_age_seconds", "Age of the oldest unrelayed event (0: none)."
    )
    oldest.add_metric([], found.outbox_oldest_age_s)
    owed = _gauge(
        "bizgraph_outbox_effects_owed",
        "Derived data (per customer, campaigns, replenishment) made stale by committed events "
        "and not yet refreshed.",
    )
    owed.add_metric([], found.effects_owed)
    oldest_owed = _gauge(
        "bizgraph_outbox_oldest_effect_age_seconds",
        "Since the oldest event whose effect is still owed (0: none); past the relay's "
        "deadline its job is queued again.",
    )
    oldest_owed.add_metric([], found.oldest_effect_age_s)
    success_age = _gauge(
        "bizgraph_job_last_success_age_seconds", "Since the last successful recorded run.", ["job"]
    )
    duration = _gauge(
        "bizgraph_job_last_duration_seconds", "Duration of the last finished run.", ["job"]
    )
    runs = _gauge("bizgraph_job_runs_24h", "Recorded runs in the last 24 h.", ["job", "status"])
    for job, stats in sorted(found.job_runs.items()):
        if stats.last_success_age_s is not None:
            success_age.add_metric([job], stats.last_success_age_s)
        if stats.last_duration_s is not None:
            duration.add_metric([job], stats.last_duration_s)
        runs.add_metric([job, "succeeded"], stats.succeeded_24h)
        runs.add_metric([job, "failed"], stats.failed_24h)
    forecast = _gauge(
        "bizgraph_forecast_age_seconds",
        "Per scope, since the stalest key's last successful forecast.",
        ["scope"],
    )
    for scope, age in sorted(found.forecast_age_s.items()):
        forecast.add_metric([scope], age)
    yield from (backlog, oldest, owed, oldest_owed, success_age, duration, runs, forecast)
