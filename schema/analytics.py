"""Forecasts and results the workers computed: revenue forecasts, replenishment, campaigns.

Reads only: every figure here was precomputed into `analytics.*` and carries `computedAt`.
Per-node figures load through one DataLoader per relation (one statement per query level).
"""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from sqlalchemy import Table, any_, func, select
from strawberry.types import Info

from domain.analytics.models import CampaignMetrics, DemandForecast, ForecastRun
from domain.analytics.models import RevenueForecastPoint as PointModel
from domain.core.reads import Row, compile_select
from domain.crm.vocabulary import CUSTOMER_TIERS
from domain.erp.models.stock import STOCK_CATEGORIES
from schema import tables as t
from schema.base import TableNode, desc, loaders
from schema.loaders import KEYS, Loaders
from schema.pagination import Connection
from schema.relations import ESTIMATED_ITEMS
from schema.roots import RootOrdering, root_page

forecast_run: Table = ForecastRun.__table__  # type: ignore[assignment]
forecast_point: Table = PointModel.__table__  # type: ignore[assignment]
demand_forecast: Table = DemandForecast.__table__  # type: ignore[assignment]
campaign_metrics: Table = CampaignMetrics.__table__  # type: ignore[assignment]
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


@strawberry.type(description="Expected demand for a stock item and whether to reorder it.")
class Replenishment:
    method: str = desc("Demand method: `prophet`, or `sba` for sparse (intermittent) demand.")
    daily_demand: Decimal = desc("Expected units per day over the next 30 days.")
    forecast_demand_30d: Decimal = desc("Expected units sold in the next 30 days.")
    available: int = desc("Units available (on hand minus reserved) when computed.")
    on_order: int = desc("Units on open purchase orders, not yet received.")
    lead_time_days: int = desc("Supplier lead time used.")
    reorder_level: int = desc("Reorder when available plus on order falls to this level.")
    days_of_cover: Decimal | None = desc("Days the available stock lasts; null without demand.")
    suggested_reorder_quantity: int = desc("Units to order now (whole packs); 0 if none.")
    computed_at: datetime = desc("When the workers computed these figures.")


@strawberry.type(description="What a campaign achieved.")
class CampaignPerformance:
    targeted: int = desc("Members targeted.")
    responded: int = desc("Members who responded (or converted).")
    converted: int = desc("Members who converted.")
    attributed_orders: int = desc(
        "Orders placed by members within the attribution window after their touch (last "
        "touch wins when several campaigns qualify)."
    )
    attributed_revenue: Decimal = desc("Net revenue of those orders.")
    cost: Decimal = desc("The campaign's cost (its budget).")
    roi: Decimal | None = desc("(Attributed revenue − cost) ÷ cost; null when the cost is 0.")
    attribution_window_days: int = desc("Days after the touch in which orders count.")
    computed_at: datetime = desc("When the workers computed these figures.")


async def _row_by(info: Info, name: str, table: Table, column: str, key: int) -> Row | None:
    async def batch(ctx: Loaders, keys: list[int]) -> list[Row | None]:
        statement = ctx.statement(name, lambda: select(table).where(table.c[column] == any_(KEYS)))
        found = {row[column]: row for row in await ctx.fetch(statement, keys=keys)}
        return [found.get(k) for k in keys]

    return await loaders(info).custom(name, batch).load(key)


def _build(kind: type[Any], row: Row | None) -> Any:
    if row is None:
        return None
    return kind(**{name: row[name] for name in kind.__annotations__})


async def replenishment(info: Info, stock_item_id: int) -> Replenishment | None:
    row = await _row_by(info, "replenishment", demand_forecast, "stock_item_id", stock_item_id)
    return _build(Replenishment, row)


async def campaign_performance(info: Info, campaign_id: int) -> CampaignPerformance | None:
    row = await _row_by(info, "campaign_performance", campaign_metrics, "campaign_id", campaign_id)
    return _build(CampaignPerformance, row)


def _key(scope: ForecastScope, key: str | None) -> str:
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


async def revenue_forecast(
    info: Info, scope: ForecastScope, key: str | None, horizon_days: int
) -> RevenueForecast | None:
    """The newest successful forecast of a series (null before the first run)."""
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise GraphQLError(
            f"`horizonDays` must be between 1 and {MAX_HORIZON_DAYS}",
            extensions={"code": "BAD_USER_INPUT"},
        )
    series_key = _key(scope, key)
    ctx = loaders(info)
    runs = await ctx.fetch(
        compile_select(
            select(forecast_run)
            .where(
                forecast_run.c.scope == scope.value,
                forecast_run.c.key == series_key,
                forecast_run.c.status == "succeeded",
            )
            .order_by(forecast_run.c.started_at.desc(), forecast_run.c.id.desc())
            .limit(1),
            one_off=True,
        )
    )
    if not runs:
        return None
    run = runs[0]
    points = await ctx.fetch(
        compile_select(
            select(forecast_point)
            .where(forecast_point.c.run_id == run["id"])
            .order_by(forecast_point.c.day)
            .limit(horizon_days),
            one_off=True,
        )
    )
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


async def items_to_reorder(
    info: Info, node: type[TableNode], first: int | None, after: str | None
) -> Connection[Any]:
    """Items with a reorder suggestion, the ones running out soonest first."""
    cover = func.coalesce(demand_forecast.c.days_of_cover, Decimal("1e9"))
    ordering = RootOrdering(
        "cover:asc",
        (cover, t.stock_item.c.id),
        False,
        t.stock_item.join(demand_forecast, demand_forecast.c.stock_item_id == t.stock_item.c.id),
    )
    return await root_page(
        info,
        node,
        name="itemsToReorder",
        ordering=ordering,
        conditions=[demand_forecast.c.suggested_reorder_quantity > 0],
        first=first,
        after=after,
    )


HorizonDays = Annotated[
    int, strawberry.argument(description=f"Days ahead, 1–{MAX_HORIZON_DAYS} (default 90).")
]
