"""Analytics benchmark: run time and accuracy of every recompute step at given sizes.

    python -m tests.benchmarks.analytics --customers 2000 100000

For each size: a fresh database (DATABASE_URL's server, or an embedded PostgreSQL), demo
data (seed 42, two years ending today), then every step as the nightly run does it, with a
process pool of this machine's cores. Prints run times, the per-customer refresh after an
event, and the accuracy figures each run stored (docs/FORECASTING.md quotes them).
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.analytics import clv, customer_forecast, recompute
from domain.analytics.daily import utc_today
from domain.analytics.pool import process_pool
from domain.analytics.prophet_model import quiet
from domain.core.sessions import asyncpg_dsn, create_engine
from domain.demo.seed import seed_database
from tests.benchmarks.scratch import scratch_database

REFRESH_SAMPLE = 50
INTERVAL_SAMPLE = 10_000


async def bench(database_url: str, customers: int) -> None:
    report = await seed_database(database_url, customers=customers, seed=42)
    print(f"\n## {customers:,} customers ({report})\n")
    engine = create_engine(database_url, pool_size=2)
    pool = process_pool(os.cpu_count() or 1, quiet)
    # Start the pool's processes before timing: the worker keeps them for its lifetime.
    list(pool.map(abs, range(os.cpu_count() or 1)))
    print("| step | rows | seconds |\n|---|---|---|")
    try:
        for name in recompute.STEPS:
            started = time.perf_counter()
            run = await recompute.run_step(engine, name, executor=pool)
            print(f"| {name} | {run.rows:,} | {time.perf_counter() - started:.1f} |", flush=True)
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        try:
            ids = await connection.fetch(
                "SELECT customer_id FROM erp.sales_order GROUP BY 1 ORDER BY random() LIMIT $1",
                REFRESH_SAMPLE,
            )
            timings = []
            for row in ids:
                started = time.perf_counter()
                async with engine.begin() as transaction:
                    await recompute.refresh_customer(transaction, row["customer_id"])
                timings.append((time.perf_counter() - started) * 1000)
            print(
                f"\nrefresh of one customer (metrics and forecast; {len(timings)} customers): "
                f"median {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms"
            )
            for batch in (1, REFRESH_SAMPLE):
                started = time.perf_counter()
                async with engine.begin() as transaction:
                    campaigns = await recompute.refresh_campaigns(
                        transaction, [row["customer_id"] for row in ids[:batch]]
                    )
                print(
                    f"refresh of the campaigns of {batch} customer(s) ({campaigns} campaigns): "
                    f"{(time.perf_counter() - started) * 1000:.0f} ms"
                )
            await _accuracy(connection)
            await _campaign_lift(connection)
        finally:
            await connection.close()
        async with engine.connect() as reading:
            await _interval_cost(reading)
    finally:
        pool.shutdown()
        await engine.dispose()


async def _interval_cost(connection: AsyncConnection) -> None:
    """What the customer forecast's Monte Carlo intervals cost, in this one process."""
    everyone = await customer_forecast.histories(connection, utc_today())
    models = clv.fit(everyone)
    part = everyone.part(slice(0, INTERVAL_SAMPLE))
    timings: dict[bool, float] = {}
    for intervals in (False, True):
        started = time.perf_counter()
        clv.score(models, part, customer_forecast.HORIZON_DAYS, intervals=intervals)
        timings[intervals] = time.perf_counter() - started
    print(
        f"\nscoring {len(part.ids):,} customers in one process: {timings[True]:.2f} s with "
        f"Monte Carlo intervals, {timings[False]:.3f} s without"
    )


async def _accuracy(connection: asyncpg.Connection) -> None:
    """Each series' served model, its backtest MASE against seasonal naive's, its interval
    coverage, and every candidate's MASE."""
    print(
        "\n| series | served | MASE | seasonal naive MASE | 80% coverage | MAPE % "
        "| candidates' MASE | campaign effect per 1,000 reached | backtest + fit s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in await connection.fetch(
        "SELECT r.scope, r.key, r.model, r.mape, r.mase, r.baseline_mase, r.interval_coverage, "
        "r.details, string_agg(c.model || ' ' || coalesce(round(c.mase::numeric, 3)::text, "
        "'failed'), ', ' ORDER BY c.mase NULLS LAST) AS candidates, "
        "max(CAST(c.effects ->> 'campaign_reach' AS float8)) AS campaign_effect "
        "FROM analytics.forecast_run r LEFT JOIN analytics.forecast_candidate c "
        "ON c.run_id = r.id GROUP BY r.id ORDER BY r.scope <> 'company', r.scope, r.key"
    ):
        details = _json(row["details"])
        print(
            f"| {row['scope']} {row['key']} | {row['model']} | {_f(row['mase'], 3)} | "
            f"{_f(row['baseline_mase'], 3)} | {_f(row['interval_coverage'], 2)} | "
            f"{_f(row['mape'], 1)} | {row['candidates'] or ''} | "
            f"{_percent(row['campaign_effect'], 1000)} | {details.get('fit_seconds', '')} |"
        )
    for name in ("forecast_customers", "forecast_demand"):
        details = _json(
            await connection.fetchval("SELECT details FROM ops.job_run WHERE name = $1", name)
        )
        details.pop("bgnbd_log_likelihood", None)
        details.pop("gamma_gamma_log_likelihood", None)
        print(f"\n{name}: {json.dumps(details, indent=1)}")


async def _campaign_lift(connection: asyncpg.Connection) -> None:
    """What campaigns with a control group added, all together."""
    lift = await connection.fetchrow(
        "SELECT count(*) AS campaigns, sum(targeted) AS treated, sum(control_members) AS control,"
        " sum(treated_revenue_per_member * targeted) / sum(targeted) AS treated_revenue,"
        " sum(control_revenue_per_member * control_members) / sum(control_members)"
        " AS control_revenue, sum(incremental_revenue) AS incremental,"
        " count(*) FILTER (WHERE incremental_revenue_low > 0) AS above_zero "
        "FROM analytics.campaign_metrics WHERE control_members > 0"
    )
    if not lift["campaigns"]:
        return
    print(
        f"\ncampaigns with a control group: {lift['campaigns']} ({lift['treated']:,} contacted, "
        f"{lift['control']:,} held out); revenue per member in the window "
        f"{_f(lift['treated_revenue'], 2)} contacted / {_f(lift['control_revenue'], 2)} held "
        f"out; incremental revenue {_f(lift['incremental'], 2)}; 95% interval above zero for "
        f"{lift['above_zero']}"
    )


def _json(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def _percent(effect: float | None, units: int) -> str:
    return "—" if effect is None else f"{effect * units * 100:+.2f}%"


def _f(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description="Run time and accuracy of the analytics steps.")
    parser.add_argument("--customers", type=int, nargs="+", default=[2000])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    for customers in args.customers:
        with scratch_database("bizgraph-bench-analytics") as database_url:
            asyncio.run(bench(database_url, customers))


if __name__ == "__main__":
    main()
