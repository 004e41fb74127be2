"""Daily revenue forecasts (`analytics.forecast_run`, `revenue_forecast_point`), each served
by the method that did best in the series' own backtest.

Series: net revenue of placed, confirmed and fulfilled orders per UTC day, for the whole
company, per customer tier (the customer's current tier) and per product category (line
totals). History runs from a series' first sale to the day before `as_of`; today is not
over yet. Each series is scored in the process pool, several at once: every candidate of
`domain.analytics.forecasters` is backtested from the same rolling origins, the one with the
lowest MASE forecasts the series, and the run stores every candidate's scores.
"""

import asyncio
import json
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.analytics import forecasters
from domain.analytics.backtest import Accuracy, BacktestSettings, origins, rolling
from domain.analytics.daily import ORDER_DAY, SALES_STATUSES, dense, utc_today
from domain.analytics.drivers import CampaignReach, load_campaign_reach
from domain.analytics.progress import Progress, Silent
from domain.analytics.prophet_model import DailyForecast

RUN = "forecast_revenue"
HORIZON_DAYS = 90
MIN_HISTORY_DAYS = 28
BASELINE = forecasters.SEASONAL_NAIVE

_SERIES = {
    "company": f"""
        SELECT '' AS key, {ORDER_DAY} AS day, sum(o.subtotal) AS revenue
        FROM erp.sales_order o
        WHERE o.status IN {SALES_STATUSES} AND o.ordered_at < :until GROUP BY 1, 2""",
    "tier": f"""
        SELECT c.tier AS key, {ORDER_DAY} AS day, sum(o.subtotal) AS revenue
        FROM erp.sales_order o JOIN crm.customer c ON c.id = o.customer_id
        WHERE o.status IN {SALES_STATUSES} AND o.ordered_at < :until GROUP BY 1, 2""",
    "category": f"""
        SELECT i.category AS key, {ORDER_DAY} AS day, sum(l.line_total) AS revenue
        FROM erp.sales_order o
        JOIN erp.sales_order_line l ON l.sales_order_id = o.id
        JOIN erp.stock_item i ON i.id = l.stock_item_id
        WHERE o.status IN {SALES_STATUSES} AND o.ordered_at < :until GROUP BY 1, 2""",
}


@dataclass(frozen=True)
class Series:
    scope: str
    key: str
    first_day: date
    values: np.ndarray
    # The campaigns reaching the series' customers (all of them for the company and a
    # category, the tier's for a tier), counted from `first_day`.
    reach: CampaignReach | None = None


@dataclass(frozen=True)
class Scored:
    """One candidate's backtest on a series, with its regressors' effects as fitted at the
    last origin."""

    accuracy: Accuracy
    origins: int
    seconds: float
    error: str | None = None
    effects: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class SeriesForecast:
    series: Series
    model: str
    forecast: DailyForecast
    scores: dict[str, Scored]
    started_at: datetime
    finished_at: datetime


def score(series: Series, method: forecasters.Method, settings: BacktestSettings) -> Scored:
    """A candidate's rolling-origin backtest on `series`; a fit that fails scores nothing."""
    started = time.perf_counter()
    effects: dict[str, float] = {}

    def forecast(history: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        made = method(series.first_day, history, horizon)
        effects.update(made.effects)
        return made.mean, made.low, made.high

    try:
        accuracy, cuts = rolling(series.values, forecast, settings)
    except Exception as error:
        message = f"{error.__class__.__name__}: {error}"
        return Scored(Accuracy(None, None), 0, time.perf_counter() - started, message)
    return Scored(accuracy, cuts, time.perf_counter() - started, effects=effects)


def forecast_series(series: Series, horizon: int, settings: BacktestSettings) -> SeriesForecast:
    """Backtest every candidate on one series, and forecast it with the best (runs in the
    process pool)."""
    started = datetime.now(UTC)
    if len(series.values) < MIN_HISTORY_DAYS:
        raise ValueError(f"only {len(series.values)} days of history (need {MIN_HISTORY_DAYS})")
    cuts = origins(len(series.values), settings)
    candidates = forecasters.candidates(series.reach, cuts[0] if cuts else len(series.values))
    scores = {name: score(series, method, settings) for name, method in candidates.items()}
    model = forecasters.choose({name: scored.accuracy for name, scored in scores.items()})
    forecast = candidates[model](series.first_day, series.values, horizon)
    return SeriesForecast(series, model, forecast, scores, started, datetime.now(UTC))


async def load_series(
    connection: AsyncConnection, scopes: tuple[str, ...], as_of: date
) -> list[Series]:
    """Every series of the given scopes with history up to the day before `as_of`."""
    until = datetime.combine(as_of, datetime.min.time(), tzinfo=UTC)
    last = as_of - timedelta(days=1)
    reach = await load_campaign_reach(connection, as_of, as_of)
    found: list[Series] = []
    for scope in scopes:
        rows = (await connection.execute(text(_SERIES[scope]), {"until": until})).all()
        by_key: dict[str, list[tuple[date, float]]] = {}
        for key, day, revenue in rows:
            by_key.setdefault(key, []).append((day, float(revenue)))
        for key, values in sorted(by_key.items()):
            first = min(day for day, _ in values)
            reached = reach.get(key if scope == "tier" else "")
            found.append(
                Series(
                    scope,
                    key,
                    first,
                    dense(values, first, last),
                    reached.shifted(as_of, first) if reached else None,
                )
            )
    return found


async def forecast_revenue(
    engine: AsyncEngine,
    *,
    executor: Executor | None,
    as_of: date | None = None,
    scopes: tuple[str, ...] = ("company", "tier", "category"),
    settings: BacktestSettings | None = None,
    progress: Progress | None = None,
) -> tuple[int, dict[str, Any]]:
    """Forecast every series in parallel; store each as it finishes; (points, details).

    A series that fails is stored as a failed run and the others still complete; the
    whole call then raises, so the job run records the failure too.
    """
    as_of = as_of or utc_today()
    settings = settings or BacktestSettings(horizon=HORIZON_DAYS)
    progress = progress or Silent()
    async with engine.connect() as connection:
        series = await load_series(connection, scopes, as_of)
    progress.start(len(series))
    loop = asyncio.get_running_loop()
    failures: list[str] = []

    async def one(s: Series) -> int:
        started = datetime.now(UTC)
        try:
            result = await loop.run_in_executor(
                executor, forecast_series, s, HORIZON_DAYS, settings
            )
        except Exception as error:
            message = f"{error.__class__.__name__}: {error}"
            failures.append(f"{s.scope} {s.key}: {message}".replace("  ", " "))
            await _store_failure(engine, s, message, started)
            return 0
        finally:
            progress.advance()
        return await _store(engine, result, as_of)

    points = sum(await asyncio.gather(*(one(s) for s in series)))
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(series)} series failed: {'; '.join(failures)}")
    return points, {"series": len(series), "as_of": as_of.isoformat()}


async def _store_failure(
    engine: AsyncEngine, series: Series, error: str, started: datetime
) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "INSERT INTO analytics.forecast_run (scope, key, status, error, started_at, "
                "finished_at) VALUES (:scope, :key, 'failed', :error, :started_at, now())"
            ),
            {"scope": series.scope, "key": series.key, "error": error, "started_at": started},
        )


async def _store(engine: AsyncEngine, result: SeriesForecast, as_of: date) -> int:
    series, forecast = result.series, result.forecast
    served = result.scores[result.model].accuracy
    baseline = result.scores[BASELINE].accuracy
    async with engine.begin() as connection:
        run_id = await connection.scalar(
            text(
                """
                INSERT INTO analytics.forecast_run (
                    scope, key, model, status, horizon_days, history_from, history_to,
                    mape, mase, baseline_mape, baseline_mase, interval_coverage, as_of, details,
                    started_at, finished_at)
                VALUES (:scope, :key, :model, 'succeeded', :horizon, :history_from,
                        :history_to, :mape, :mase, :baseline_mape, :baseline_mase, :coverage,
                        :as_of, CAST(:details AS jsonb), :started_at, :finished_at)
                RETURNING id
                """
            ),
            {
                "scope": series.scope,
                "key": series.key,
                "model": result.model,
                "horizon": len(forecast.mean),
                "history_from": series.first_day,
                "history_to": series.first_day + timedelta(days=len(series.values) - 1),
                "mape": served.mape,
                "mase": served.mase,
                "baseline_mape": baseline.mape,
                "baseline_mase": baseline.mase,
                "coverage": served.coverage,
                "as_of": as_of,
                "details": _details(result),
                "started_at": result.started_at,
                "finished_at": result.finished_at,
            },
        )
        await connection.execute(
            text(
                """
                INSERT INTO analytics.forecast_candidate (run_id, model, mase, mape,
                    interval_coverage, origins, seconds, served, error, effects)
                VALUES (:run_id, :model, :mase, :mape, :coverage, :origins, :seconds, :served,
                        :error, CAST(:effects AS jsonb))
                """
            ),
            [
                {
                    "run_id": run_id,
                    "model": name,
                    "mase": scored.accuracy.mase,
                    "mape": scored.accuracy.mape,
                    "coverage": scored.accuracy.coverage,
                    "origins": scored.origins,
                    "seconds": round(scored.seconds, 3),
                    "served": name == result.model,
                    "error": scored.error,
                    "effects": json.dumps(scored.effects),
                }
                for name, scored in result.scores.items()
            ],
        )
        days = [forecast.first_day + timedelta(days=i) for i in range(len(forecast.mean))]
        await connection.execute(
            text(
                """
                INSERT INTO analytics.revenue_forecast_point (run_id, day, revenue, revenue_low,
                                                              revenue_high)
                SELECT :run_id, * FROM unnest(CAST(:days AS date[]), CAST(:mean AS numeric[]),
                                              CAST(:low AS numeric[]), CAST(:high AS numeric[]))
                """
            ),
            {
                "run_id": run_id,
                "days": days,
                "mean": _money(forecast.mean),
                "low": _money(forecast.low),
                "high": _money(forecast.high),
            },
        )
    return len(days)


def _details(result: SeriesForecast) -> str:
    return json.dumps(
        {
            "baseline": BASELINE,
            "backtest_origins": result.scores[BASELINE].origins,
            "fit_seconds": round((result.finished_at - result.started_at).total_seconds(), 3),
            "history_days": len(result.series.values),
        }
    )


def _money(values: np.ndarray) -> list[Decimal]:
    return [Decimal(f"{value:.2f}") for value in values]
