"""The nightly recompute runs every step in the real worker (with its process pool), records
each run, and stores backtest accuracy with every forecast; re-running gives the same rows."""

import json
from decimal import Decimal

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics import recompute, revenue_forecast
from domain.analytics.backtest import BacktestSettings
from domain.analytics.daily import utc_today
from tests.workers.conftest import enqueue, run_worker
from workers.job_names import NIGHTLY_RECOMPUTE


async def test_the_nightly_recompute_runs_every_step_in_the_worker(
    database_url: str, redis_url: str, queue: str, engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    await enqueue(redis_url, queue, NIGHTLY_RECOMPUTE, job_id="nightly")
    await run_worker(database_url, redis_url, queue)

    runs = {
        row["name"]: row
        for row in await demo.fetch(
            "SELECT name, status, rows, error, finished_at FROM ops.job_run"
        )
    }
    assert set(runs) == {step.run_name for step in recompute.STEPS.values()}
    assert all(run["status"] == "succeeded" and run["finished_at"] for run in runs.values()), runs
    assert await recompute.stale_steps(engine) == []
    customers = await demo.fetchval("SELECT count(*) FROM crm.customer")
    assert await demo.fetchval("SELECT count(*) FROM analytics.customer_forecast") == customers
    assert await demo.fetchval("SELECT count(*) FROM analytics.demand_forecast") == (
        await demo.fetchval("SELECT count(*) FROM erp.stock_item")
    )
    assert await demo.fetchval("SELECT count(*) FROM analytics.campaign_metrics") == (
        await demo.fetchval("SELECT count(*) FROM crm.campaign")
    )
    # Demand: one method per class, chosen by backtest, and every item served by its class's.
    demand_run = json.loads(
        await demo.fetchval("SELECT details FROM ops.job_run WHERE name = 'forecast_demand'")
    )
    choice = demand_run["choice"]
    served = {
        row["method"]
        for row in await demo.fetch("SELECT DISTINCT method FROM analytics.demand_forecast")
    }
    assert served == {c["method"] for c in choice.values() if c["items"]}
    for chosen in choice.values():
        if chosen["items"]:
            assert chosen["rmse"][chosen["method"]] == min(chosen["rmse"].values()), chosen
    assert demand_run["validation"]["items"] > 0
    # Per warehouse: every stock level of a forecast item, its parts adding up to the item.
    assert await demo.fetchval("SELECT count(*) FROM analytics.warehouse_demand") == (
        await demo.fetchval("SELECT count(*) FROM erp.stock_level")
    )
    apart = await demo.fetch(
        "SELECT f.forecast_demand_30d AS item, sum(w.forecast_demand_30d) AS parts, "
        "sum(w.share) AS shares FROM analytics.demand_forecast f "
        "JOIN analytics.warehouse_demand w USING (stock_item_id) GROUP BY f.stock_item_id"
    )
    for row in apart:
        assert abs(row["parts"] - row["item"]) <= Decimal("0.05") * 4, row
        assert abs(row["shares"] - 1) <= Decimal("0.001"), row
    assert demand_run["validation"]["warehouse_series"] > 0
    forecasts = await demo.fetch(
        "SELECT scope, key, mape, mase, baseline_mape, baseline_mase, "
        "history_to - history_from + 1 AS history_days, "
        "(SELECT count(*) FROM analytics.revenue_forecast_point p WHERE p.run_id = r.id) AS points "
        "FROM analytics.forecast_run r"
    )
    assert {(f["scope"], f["key"]) for f in forecasts} >= {
        ("company", ""),
        ("tier", "gold"),
        ("category", "hardware"),
    }
    for forecast in forecasts:
        assert forecast["points"] == revenue_forecast.HORIZON_DAYS
        figures = (
            forecast["mape"],
            forecast["mase"],
            forecast["baseline_mape"],
            forecast["baseline_mase"],
        )
        # A backtest needs a full horizon after two weeks of training: a small demo's
        # youngest series (its first platinum customer may be recent) cannot have one.
        if forecast["history_days"] >= revenue_forecast.HORIZON_DAYS + 15:
            assert None not in figures, forecast
        else:
            assert figures == (None, None, None, None), forecast
    company = next(f for f in forecasts if f["scope"] == "company")
    assert company["mase"] is not None
    # Each series is served by its best candidate, never worse than seasonal naive.
    served = await demo.fetch(
        "SELECT r.model, r.mase, r.baseline_mase, array_agg(c.model ORDER BY c.model) AS tried, "
        "array_agg(c.model) FILTER (WHERE c.served) AS chosen, "
        "min(c.mase) AS best FROM analytics.forecast_run r "
        "JOIN analytics.forecast_candidate c ON c.run_id = r.id GROUP BY r.id"
    )
    assert len(served) == len(forecasts)
    for run in served:
        # Prophet with campaigns only where campaigns reached the series' customers.
        assert set(run["tried"]) - {"prophet_campaigns"} == {
            "ets_damped",
            "prophet",
            "seasonal_naive",
            "theta",
        }, run
        assert run["chosen"] == [run["model"]], run
        if run["baseline_mase"] is not None:
            assert run["mase"] == run["best"] <= run["baseline_mase"], run
    details = await demo.fetchval(
        "SELECT details FROM ops.job_run WHERE name = 'forecast_customers'"
    )
    assert '"validation"' in details and '"bgnbd"' in details


async def test_full_runs_repeated_leave_the_same_rows(
    engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    tables = {
        "customers": "SELECT * FROM analytics.customer_forecast ORDER BY customer_id",
        "demand": "SELECT * FROM analytics.demand_forecast ORDER BY stock_item_id",
        "campaigns": "SELECT * FROM analytics.campaign_metrics ORDER BY campaign_id",
    }
    for step, query in tables.items():
        snapshots = []
        for _ in range(2):
            await recompute.run_step(engine, step)
            rows = await demo.fetch(query)
            snapshots.append([{k: v for k, v in row.items() if k != "computed_at"} for row in rows])
        assert snapshots[0] == snapshots[1], step
        assert snapshots[0], step

    quick = BacktestSettings(horizon=90, window=365, step=180)
    for _ in range(2):
        await revenue_forecast.forecast_revenue(
            engine, executor=None, as_of=utc_today(), scopes=("company",), settings=quick
        )
    points = await demo.fetch(
        "SELECT run_id, day, revenue, revenue_low, revenue_high FROM analytics.revenue_forecast_point "
        "ORDER BY day, run_id"
    )
    first, second = points[0::2], points[1::2]
    assert len(first) == len(second) == revenue_forecast.HORIZON_DAYS
    assert [tuple(p)[1:] for p in first] == [tuple(p)[1:] for p in second]
