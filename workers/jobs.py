"""arq jobs: thin, idempotent wrappers around domain code (arq may run a job twice)."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics import metrics
from domain.analytics.runs import recorded_run
from workers import relay

RECOMPUTE_CUSTOMER_METRICS = "recompute_customer_metrics"
RECOMPUTE_ALL_METRICS = "recompute_all_metrics"
RELAY_OUTBOX = "relay_outbox"


def _engine(ctx: dict[str, Any]) -> AsyncEngine:
    engine = ctx["engine"]
    assert isinstance(engine, AsyncEngine)
    return engine


async def recompute_customer_metrics(ctx: dict[str, Any], customer_id: int) -> int:
    """Bring one customer's metrics up to date after an event about it."""
    async with _engine(ctx).begin() as connection:
        return await metrics.recompute_customer(connection, customer_id)


async def recompute_all_metrics(ctx: dict[str, Any]) -> int:
    """Recompute every customer's metrics and re-base the RFM quintiles (nightly)."""
    async with (
        recorded_run(_engine(ctx), RECOMPUTE_ALL_METRICS) as run,
        _engine(ctx).begin() as connection,
    ):
        run.rows = await metrics.recompute_all(connection)
    return run.rows


async def relay_outbox(ctx: dict[str, Any]) -> int:
    """Turn committed outbox events into jobs (see `workers.relay`)."""
    return await relay.relay_pending(_engine(ctx), ctx["redis"])
