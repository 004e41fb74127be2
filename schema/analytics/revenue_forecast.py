"""Revenue forecasts of the company, a customer tier or a product category, with their
backtests: read as the workers stored them, never computed on a request."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from graphql import GraphQLError
from strawberry.types import Info

from domain.analytics import reads as figures
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


@strawberry.type(description="Daily revenue forecast with its backtest and the baseline's.")
class RevenueForecast:
    scope: ForecastScope = desc("Company, customer tier or product category.")
    key: str | None = desc("The tier or category (lower case); null for the company.")
    model: str = desc("Forecasting model.")
    history_from: date = desc("First day of the history the model learnt from.")
    history_to: date = desc("Last day of that history.")
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
        run = runs[0]
        points = await loaders.fetch_once(figures.forecast_points(run["id"], horizon_days))
        return RevenueForecast(
            scope=scope,
            key=series_key or None,
            model=run["model"],
            history_from=run["history_from"],
            history_to=run["history_to"],
            points=[
                RevenueForecastPoint(
                    day=p["day"], revenue=p["revenue"], low=p["revenue_low"], high=p["revenue_high"]
                )
                for p in points
            ],
            accuracy=ForecastAccuracy(method=run["model"], mape=run["mape"], mase=run["mase"]),
            baseline=ForecastAccuracy(
                method=run["details"].get("baseline", "seasonal naive"),
                mape=run["baseline_mape"],
                mase=run["baseline_mase"],
            ),
            computed_at=run["finished_at"],
        )
