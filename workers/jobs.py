"""arq jobs: thin, idempotent wrappers around domain code (arq may run a job twice).

Every job writes its figures with upserts or as a new recorded run, so a second execution
of the same job leaves the same rows behind.
"""

import asyncio
import logging
import os
from concurrent.futures import Executor
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics import recompute, replenishment, runs
from domain.analytics import retention as forecast_retention
from domain.analytics.runs import recorded_run
from domain.core import retention
from domain.exchange import jobs as import_jobs
from domain.exchange.models import FINISHED
from workers import relay, webhooks
from workers.job_names import (
    HOUSEKEEPING,
    RECOMPUTE_STEPS,
)

log = logging.getLogger("bizgraph.worker")


def _engine(ctx: dict[str, Any]) -> AsyncEngine:
    engine = ctx["engine"]
    assert isinstance(engine, AsyncEngine)
    return engine


def _pool(ctx: dict[str, Any]) -> Executor | None:
    pool: Executor | None = ctx.get("pool")
    return pool


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Turn committed outbox events into tracked effects and due effects into jobs (see
    `workers.relay`)."""
    deadline = ctx.get("effect_deadline_s", relay.DEADLINE_S)
    return await relay.relay_pending(_engine(ctx), ctx["redis"], deadline_s=deadline)


async def deliver_webhooks(ctx: dict[str, Any]) -> int:
    """Send due webhook deliveries (see `workers.webhooks`); returns the attempts made.

    Started every second; while this process's sender still runs, a new start returns at
    once (the running one takes up new work as it comes)."""
    sender: asyncio.Lock = ctx.setdefault("webhook_sender", asyncio.Lock())
    if sender.locked():
        return 0
    async with sender:
        return await webhooks.deliver_due(_engine(ctx), ctx.get("webhook_options"))


async def refresh_customer(
    ctx: dict[str, Any], customer_id: int, up_to_event: int | None = None
) -> int:
    """Metrics and forecast of one customer, after events about them (up to `up_to_event`)."""
    async with _engine(ctx).begin() as connection:
        rows = await recompute.refresh_customer(connection, customer_id)
        if up_to_event is not None:
            await relay.done(connection, relay.CUSTOMER, [(customer_id, up_to_event)])
    return rows


async def refresh_campaigns(ctx: dict[str, Any], customers: list[Any]) -> int:
    """Results of the campaigns these customers belong to, after events about them.

    `customers` holds [customer id, newest event covered] pairs (bare ids from jobs queued
    before effects were tracked are refreshed too, and mark nothing done)."""
    ids = [int(c[0]) if isinstance(c, list) else int(c) for c in customers]
    async with _engine(ctx).begin() as connection:
        rows = await recompute.refresh_campaigns(connection, ids)
        covered = [(int(c[0]), int(c[1])) for c in customers if isinstance(c, list)]
        await relay.done(connection, relay.CAMPAIGNS, covered)
    return rows


async def refresh_replenishment(ctx: dict[str, Any], up_to_event: int | None = None) -> int:
    """Days of cover and reorder suggestions from stored demand and live stock."""
    async with _engine(ctx).begin() as connection:
        rows = await replenishment.refresh(connection)
        if up_to_event is not None:
            await relay.done(connection, relay.REPLENISHMENT, [(0, up_to_event)])
    return rows


async def run_import(ctx: dict[str, Any], job_id: int, up_to_event: int | None = None) -> str:
    """Import a file uploaded through the API (`domain.exchange.jobs`): at most one run at a
    time, none once the job has finished. Returns the job's status."""
    database_url = ctx.get("database_url") or os.environ["DATABASE_URL"]
    before = await import_jobs.status_of(database_url, job_id)
    status = await import_jobs.run(database_url, job_id)
    if (status is None or status in FINISHED) and up_to_event is not None:
        async with _engine(ctx).begin() as connection:
            await relay.done(connection, relay.IMPORT, [(job_id, up_to_event)])
    if before not in FINISHED and status == "succeeded":
        # Imports send no events: what the records feed is recomputed now, in one job after
        # this one (in order: forecasts read metrics), not at night.
        steps = await import_jobs.steps_fed(database_url, job_id)
        if steps:
            await ctx["redis"].enqueue_job(
                RECOMPUTE_STEPS, list(steps), _job_id=f"recompute-after-import:{job_id}"
            )
    return status or "gone"


async def recompute_steps(ctx: dict[str, Any], names: list[str]) -> list[str]:
    """These steps over all data, in order (after an import); returns those that failed."""
    return await _run_steps(ctx, names)


async def recompute_step(ctx: dict[str, Any], name: str) -> int:
    """One step over all data on demand (e.g. `metrics` after a bulk import), as a run."""
    run = await recompute.run_step(_engine(ctx), name, executor=_pool(ctx), as_of=ctx.get("as_of"))
    return run.rows


async def nightly_recompute(ctx: dict[str, Any]) -> list[str]:
    """Every step without a recent successful run: all of them at night, the missed ones at
    start-up (a fresh install, or a worker that was down at night). Returns what failed."""
    return await _run_steps(ctx, await recompute.stale_steps(_engine(ctx)))


async def _run_steps(ctx: dict[str, Any], names: list[str]) -> list[str]:
    failed = []
    for name in names:
        try:
            run = await recompute.run_step(
                _engine(ctx), name, executor=_pool(ctx), as_of=ctx.get("as_of")
            )
            log.info("recomputed %s: %s rows", name, run.rows)
        except Exception:
            # Recorded as a failed run already; the other steps still deserve their turn.
            log.exception("recompute of %s failed", name)
            failed.append(name)
    return failed


async def close_abandoned_runs(ctx: dict[str, Any]) -> int:
    """Mark recorded runs whose heartbeat stopped (their worker died) as failed."""
    abandoned = await runs.close_abandoned(_engine(ctx))
    if abandoned:
        log.warning("marked %d runs of stopped workers as failed", abandoned)
    return abandoned


async def housekeeping(ctx: dict[str, Any]) -> int:
    """Delete what retention no longer needs (relayed events, old keys, runs, forecasts)."""
    async with recorded_run(_engine(ctx), HOUSEKEEPING) as run:
        async with _engine(ctx).begin() as connection:
            deleted = await retention.prune_operational(connection)
            deleted["forecast_run"] = await forecast_retention.prune_forecasts(connection)
        run.rows = sum(deleted.values())
        run.details = deleted
    return run.rows
