"""Revenue forecasts of the company, a customer tier or a product category, each served by
the method that did best in its own backtest, with every candidate's scores: read as the
workers stored them, never computed on a request."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from domain.analytics import outlook
from domain.analytics import reads as figures
from domain.analytics.forecasters import SEASONAL_NAIVE as BASELINE
from domain.core.reads import Row
from domain.crm.vocabulary import CUSTOMER_TIERS
from domain.erp.models.stock import STOCK_CATEGORIES
from schema.core.nodes import desc
from schema.core.relations import ESTIMATED_ITEMS

MAX_HORIZON_DAYS = 90


@strawberry.enum(description="What a revenue forecast covers.")
class ForecastScope(Enum):
    COMPANY = "company"
    TIER = "tier"
    CATEGORY = "category"


SERIES_KEYS = {ForecastScope.TIER: CUSTOMER_TIERS, ForecastScope.CATEGORY: STOCK_CATEGORIES}


@strawberry.type(description="Expected revenue of one day, with its 80% interval.")
class RevenueForecastPoint:
    day: date = desc("The day (UTC).")
    revenue: Decimal = desc("Expected net revenue.")
    low: Decimal = desc("Lower bound of the 80% interval.")
    high: Decimal = desc("Upper bound of the 80% interval.")


@strawberry.type(
    description="How far a forecasting method can be trusted: errors of its rolling-origin "
    "backtest over the last year (forecasts 90 days ahead from origins four weeks apart)."
)
class ForecastAccuracy:
    method: str = desc("The method the figures are for.")
    mape: float | None = desc(
        "Mean absolute percentage error over days with revenue (days without any are left "
        "out: a percentage of zero is undefined)."
    )
    mase: float | None = desc(
        "Mean absolute error divided by the in-sample error of 'same day last week'; below "
        "1 beats that naive forecast."
    )
    interval_coverage: float | None = desc(
        "Share of the backtest's actual days inside the method's 80% interval (about 0.8 "
        "when the interval is honest)."
    )


@strawberry.type(description="A regressor a candidate method was fitted with, and its effect.")
class ForecastDriver:
    name: str = desc(
        "The regressor: campaign_reach (campaign members contacted and within their "
        "attribution window on the day)."
    )
    effect: float = desc(
        "Relative change of daily revenue per unit of the regressor, against a day of the "
        "history's average, as fitted at the last backtest origin (0.0001 per member: 10% "
        "more per 1,000 more members reached)."
    )


@strawberry.type(description="How one candidate method did in a forecast's backtest.")
class ForecastCandidate:
    model: str = desc(
        "The method: seasonal_naive, theta, ets_damped (damped-trend exponential "
        "smoothing), prophet, or prophet_campaigns (Prophet with the campaign reach as a "
        "regressor)."
    )
    mase: float | None = desc("Its backtest MASE (null when it could not be fitted).")
    mape: float | None = desc("Its backtest MAPE over days with revenue.")
    interval_coverage: float | None = desc("Share of actual days inside its 80% interval.")
    origins: int = desc("Backtest origins it was scored on.")
    seconds: float = desc("Time its backtest took.")
    served: bool = desc("Whether it is the method serving the forecast (the lowest MASE).")
    drivers: list[ForecastDriver] = strawberry.field(
        description="Its regressors' fitted effects (none for a method without regressors).",
        metadata={ESTIMATED_ITEMS: 1},
    )


@strawberry.type(
    description="Daily revenue forecast, served by the candidate with the lowest backtest "
    "MASE, so never worse than seasonal naive's; with every candidate's scores."
)
class RevenueForecast:
    scope: ForecastScope = desc("Company, customer tier or product category.")
    key: str | None = desc("The tier or category (lower case); null for the company.")
    model: str = desc("The method serving it (see `candidates`).")
    mase: float | None = desc("Its backtest MASE (null when the history is too short).")
    baseline_mase: float | None = desc("Seasonal naive's backtest MASE on the same origins.")
    interval_coverage: float | None = desc(
        "Share of the backtest's actual days inside its 80% interval."
    )
    as_of: date | None = desc("The day it was made as of (its history ends the day before).")
    history_from: date = desc("First day of the history the model learnt from.")
    history_to: date = desc("Last day of that history.")
    candidates: list[ForecastCandidate] = strawberry.field(
        description="Every candidate's backtest, best first.",
        metadata={ESTIMATED_ITEMS: 5},
    )
    points: list[RevenueForecastPoint] = strawberry.field(
        description="One point per day, from the day after history.",
        metadata={ESTIMATED_ITEMS: MAX_HORIZON_DAYS},
    )
    accuracy: ForecastAccuracy = desc("Backtest of this model on this series.")
    baseline: ForecastAccuracy = desc("The same backtest of the seasonal-naive baseline.")
    computed_at: datetime = desc("When the workers computed this forecast.")


def _series_key(scope: ForecastScope, key: str | None) -> str:
    if scope is ForecastScope.COMPANY:
        if key:
            raise GraphQLError(
                "`key` must be empty for COMPANY", extensions={"code": "BAD_USER_INPUT"}
            )
        return ""
    allowed = SERIES_KEYS[scope]
    wanted = (key or "").strip().lower()
    if wanted not in allowed:
        raise GraphQLError(
            f"`key` for {scope.name} must be one of: {', '.join(allowed)}",
            extensions={"code": "BAD_USER_INPUT"},
        )
    return wanted


@strawberry.enum(description="How a revenue outlook is grouped.")
class OutlookPeriod(Enum):
    WEEK = "week"
    MONTH = "month"


@strawberry.type(description="One week or month of a revenue outlook (net amounts).")
class RevenueOutlookPeriod:
    starts_on: date = desc("First day (the outlook's first day for the first period).")
    ends_on: date = desc("Last day (the horizon's last day for the last period).")
    booked: Decimal = desc("What open orders still have to invoice (in the first period only).")
    pipeline: Decimal = desc(
        "Open opportunities closing in it, amount × win probability (overdue open ones in "
        "the first period); none for a product category (deals name no products yet)."
    )
    statistical: Decimal = desc(
        "What the revenue forecast expects beyond the booked and pipeline revenue."
    )
    expected: Decimal = desc("booked + pipeline + statistical.")
    low: Decimal = desc("Lower bound of the 80% interval (never below booked + pipeline).")
    high: Decimal = desc("Upper bound of the 80% interval.")


@strawberry.type(
    description="The revenue outlook a sales director reads: booked orders, the weighted "
    "pipeline and the statistical forecast net of both, per week or month."
)
class RevenueOutlook:
    scope: ForecastScope = desc("Company, customer tier or product category.")
    key: str | None = desc("The tier or category (lower case); null for the company.")
    group_by: OutlookPeriod = desc("Weeks or months.")
    model: str = desc("The method serving the statistical forecast.")
    as_of: date | None = desc("The day the forecast was made as of.")
    periods: list[RevenueOutlookPeriod] = strawberry.field(
        description="The periods of the horizon, in order.",
        metadata={ESTIMATED_ITEMS: 14},
    )
    computed_at: datetime = desc("When the workers computed the forecast.")


async def _newest_forecast(
    info: Info, scope: ForecastScope, key: str | None, horizon_days: int
) -> tuple[str, Row, list[Row]] | None:
    """The series key, the newest successful run of the series and its first
    `horizon_days` points (none before the first run); bad arguments are refused."""
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise GraphQLError(
            f"`horizonDays` must be between 1 and {MAX_HORIZON_DAYS}",
            extensions={"code": "BAD_USER_INPUT"},
        )
    series_key = _series_key(scope, key)
    loaders = info.context.loaders
    runs = await loaders.fetch_once(figures.newest_forecast_run(scope.value, series_key))
    if not runs:
        return None
    points = await loaders.fetch_once(figures.forecast_points(runs[0]["id"], horizon_days))
    return series_key, runs[0], points


HorizonDays = Annotated[
    int, strawberry.argument(description=f"Days ahead, 1–{MAX_HORIZON_DAYS} (default 90).")
]


@strawberry.type
class RevenueForecastQueries:
    @strawberry.field(
        description="Daily revenue forecast of the company, a customer tier or a product "
        "category, with its backtest accuracy; null before the first forecast run."
    )
    async def revenue_forecast(
        self,
        info: Info,
        scope: Annotated[ForecastScope, strawberry.argument(description="Scope.")],
        key: Annotated[
            str | None, strawberry.argument(description="Tier or category; none for COMPANY.")
        ] = None,
        horizon_days: HorizonDays = 90,
    ) -> RevenueForecast | None:
        """The newest successful forecast of a series (null before the first run)."""
        found = await _newest_forecast(info, scope, key, horizon_days)
        if found is None:
            return None
        series_key, run, points = found
        candidates = await info.context.loaders.fetch_once(figures.forecast_candidates(run["id"]))
        return RevenueForecast(
            scope=scope,
            key=series_key or None,
            model=run["model"],
            mase=run["mase"],
            baseline_mase=run["baseline_mase"],
            interval_coverage=run["interval_coverage"],
            as_of=run["as_of"],
            history_from=run["history_from"],
            history_to=run["history_to"],
            candidates=[
                ForecastCandidate(
                    model=c["model"],
                    mase=c["mase"],
                    mape=c["mape"],
                    interval_coverage=c["interval_coverage"],
                    origins=c["origins"],
                    seconds=c["seconds"],
                    served=c["served"],
                    drivers=[
                        ForecastDriver(name=name, effect=effect)
                        for name, effect in sorted(c["effects"].items())
                    ],
                )
                for c in candidates
            ],
            points=[
                RevenueForecastPoint(
                    day=p["day"], revenue=p["revenue"], low=p["revenue_low"], high=p["revenue_high"]
                )
                for p in points
            ],
            accuracy=ForecastAccuracy(
                method=run["model"],
                mape=run["mape"],
                mase=run["mase"],
                interval_coverage=run["interval_coverage"],
            ),
            baseline=ForecastAccuracy(
                method=run["details"].get("baseline", "seasonal naive"),
                mape=run["baseline_mape"],
                mase=run["baseline_mase"],
                interval_coverage=next(
                    (c["interval_coverage"] for c in candidates if c["model"] == BASELINE), None
                ),
            ),
            computed_at=run["finished_at"],
        )

    @strawberry.field(
        description="Booked orders, the weighted pipeline and the statistical forecast net of "
        "both, per week or month of the horizon; null before the first forecast run."
    )
    async def revenue_outlook(
        self,
        info: Info,
        scope: Annotated[ForecastScope, strawberry.argument(description="Scope.")],
        key: Annotated[
            str | None, strawberry.argument(description="Tier or category; none for COMPANY.")
        ] = None,
        horizon_days: HorizonDays = 90,
        group_by: Annotated[
            OutlookPeriod, strawberry.argument(description="Weeks or months (default months).")
        ] = OutlookPeriod.MONTH,
    ) -> RevenueOutlook | None:
        found = await _newest_forecast(info, scope, key, horizon_days)
        if found is None or not found[2]:
            return None
        series_key, run, points = found
        loaders = info.context.loaders
        booked = await loaders.fetch_once(outlook.booked_statement(scope.value, series_key))
        deals = await loaders.fetch_once(
            outlook.pipeline_statement(scope.value, series_key, points[-1]["day"])
        )
        days = [
            outlook.Day(p["day"], p["revenue"], p["revenue_low"], p["revenue_high"]) for p in points
        ]
        return RevenueOutlook(
            scope=scope,
            key=series_key or None,
            group_by=group_by,
            model=run["model"],
            as_of=run["as_of"],
            periods=[
                RevenueOutlookPeriod(**vars(period))
                for period in outlook.periods(
                    days,
                    Decimal(booked[0][0]) if booked else Decimal(0),
                    {row["day"]: Decimal(row["amount"]) for row in deals},
                    group_by.value,
                )
            ],
            computed_at=run["finished_at"],
        )
