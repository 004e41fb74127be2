"""What the workers and `bizgraph recompute` run: one customer after an event, or whole steps.

Each step over all data is recorded as a run in `ops.job_run` (started, finished, rows,
error, details). Steps are independent of each other's freshness, so one failing does not
stop the rest. CPU-heavy work goes to `executor` (the worker's process pool).
"""

from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.analytics import (
    campaigns,
    customer_forecast,
    metrics,
    replenishment,
    revenue_forecast,
)
from domain.analytics.progress import Progress, Silent
from domain.analytics.runs import RunRecord, recorded_run

StepFunction = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


async def _metrics(
    engine: AsyncEngine, *, as_of: date | None = None, **_: Any
) -> tuple[int, dict[str, Any]]:
    async with engine.begin() as connection:
        rows = await metrics.recompute_all(connection, as_of)
    return rows, {} if as_of is None else {"as_of": as_of.isoformat()}


async def _campaigns(
    engine: AsyncEngine, *, as_of: date | None = None, **_: Any
) -> tuple[int, dict[str, Any]]:
    async with engine.begin() as connection:
        rows = await campaigns.recompute_all(connection, as_of)
    details: dict[str, Any] = {"attribution_window_days": campaigns.ATTRIBUTION_WINDOW_DAYS}
    if as_of is not None:
        details["as_of"] = as_of.isoformat()
    return rows, details


@dataclass(frozen=True)
class Step:
    name: str  # the `--what` choice
    run_name: str  # in ops.job_run
    function: StepFunction
    description: str


STEPS = {
    step.name: step
    for step in (
        Step("metrics", "recompute_all_metrics", _metrics, "customer metrics and RFM"),
        Step(
            "customers",
            customer_forecast.RUN,
            customer_forecast.forecast_customers,
            "customer forecasts (BG/NBD, Gamma-Gamma)",
        ),
        Step("campaigns", "recompute_campaigns", _campaigns, "campaign results"),
        Step(
            "revenue",
            revenue_forecast.RUN,
            revenue_forecast.forecast_revenue,
            "revenue (the best of four methods per series, by backtest)",
        ),
        Step("demand", replenishment.RUN, replenishment.forecast_demand, "demand and reorders"),
    )
}
# A nightly run finds a step stale after this long (and a worker start catches up).
STALE_AFTER = timedelta(hours=20)


async def run_step(
    engine: AsyncEngine,
    name: str,
    *,
    executor: Executor | None = None,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> RunRecord:
    """Run one step over all data, recorded as a run."""
    step = STEPS[name]
    async with recorded_run(engine, step.run_name) as run:
        run.rows, run.details = await step.function(
            engine, executor=executor, as_of=as_of, progress=progress or Silent()
        )
    return run


async def stale_steps(engine: AsyncEngine) -> list[str]:
    """Steps without a successful run in the last `STALE_AFTER`."""
    async with engine.connect() as connection:
        fresh = set(
            await connection.scalars(
                text(
                    "SELECT DISTINCT name FROM ops.job_run WHERE status = 'succeeded' "
                    "AND finished_at > now() - make_interval(secs => :seconds)"
                ),
                {"seconds": STALE_AFTER.total_seconds()},
            )
        )
    return [name for name, step in STEPS.items() if step.run_name not in fresh]


# Derived data changing is news, not a cause: the relay owes nothing for it (workers.relay).
METRICS_REFRESHED = text(
    "INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, customer_id) "
    "VALUES ('customer_metrics.refreshed', 'customer_metrics', :customer, :customer)"
)


async def refresh_customer(
    connection: AsyncConnection, customer_id: int, *, as_of: date | None = None
) -> int:
    """A customer's metrics and forecast, after an event about them (idempotent); an event
    says so, for those following the customer live (subscriptions, webhooks)."""
    rows = await metrics.recompute_customer(connection, customer_id)
    rows += await customer_forecast.recompute_customer(connection, customer_id, as_of=as_of)
    await connection.execute(METRICS_REFRESHED, {"customer": customer_id})
    return rows


async def refresh_campaigns(connection: AsyncConnection, customer_ids: list[int]) -> int:
    """The results of the campaigns these customers belong to, after events about them."""
    return await campaigns.recompute_for_customers(connection, customer_ids)
