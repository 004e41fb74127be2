"""arq jobs: thin, idempotent wrappers around domain code (arq may run a job twice).

Every job writes its figures with upserts or as a new recorded run, so a second execution
of the same job leaves the same rows behind.
"""

import logging
from concurrent.futures import Executor
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics import recompute, replenishment
from domain.analytics import retention as forecast_retention
from domain.analytics.runs import recorded_run
from domain.core import retention
from workers import relay
from workers.job_names import (
    HOUSEKEEPING,
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
    """Turn committed outbox events into jobs (see `workers.relay`)."""
    return await relay.relay_pending(_engine(ctx), ctx["redis"])


async def refresh_customer(ctx: dict[str, Any], customer_id: int) -> int:
    """Metrics and forecast of one customer, after an event about them."""
    async with _engine(ctx).begin() as connection:
        return await recompute.refresh_customer(connection, customer_id)


async def refresh_campaigns(ctx: dict[str, Any], customer_ids: list[int]) -> int:
    """Results of the campaigns these customers belong to, after events about them."""
    async with _engine(ctx).begin() as connection:
        return await recompute.refresh_campaigns(connection, customer_ids)


async def refresh_replenishment(ctx: dict[str, Any]) -> int:
    """Days of cover and reorder suggestions from stored demand and live stock."""
    async with _engine(ctx).begin() as connection:
        return await replenishment.refresh(connection)


async def recompute_step(ctx: dict[str, Any], name: str) -> int:
    """One step over all data on demand (e.g. `metrics` after a bulk import), as a run."""
    run = await recompute.run_step(_engine(ctx), name, executor=_pool(ctx))
    return run.rows


async def nightly_recompute(ctx: dict[str, Any]) -> list[str]:
    """Every step without a recent successful run: all of them at night, the missed ones at
    start-up (a fresh install, or a worker that was down at night). Returns what failed."""
    failed = []
    for name in await recompute.stale_steps(_engine(ctx)):
        try:
            run = await recompute.run_step(_engine(ctx), name, executor=_pool(ctx))
            log.info("recomputed %s: %s rows", name, run.rows)
        except Exception:
            # Recorded as a failed run already; the other steps still deserve their turn.
            log.exception("recompute of %s failed", name)
            failed.append(name)
    return failed


async def housekeeping(ctx: dict[str, Any]) -> int:
    """Delete what retention no longer needs (relayed events, old keys, runs, forecasts)."""
    async with recorded_run(_engine(ctx), HOUSEKEEPING) as run:
        async with _engine(ctx).begin() as connection:
            deleted = await retention.prune_operational(connection)
            deleted["forecast_run"] = await forecast_retention.prune_forecasts(connection)
        run.rows = sum(deleted.values())
        run.details = deleted
    return run.rows
