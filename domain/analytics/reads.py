"""What the API reads of the figures the workers computed, in batches of keys.

Every statement takes its keys as one array parameter, so its text never depends on how
many there are and it is compiled once. The figures themselves are written only by the
workers (`domain.analytics.metrics`, `customer_forecast`, `replenishment`, `campaigns`,
`revenue_forecast`).
"""

from decimal import Decimal
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, FromClause, String, Table, any_, func, literal, select

from domain.analytics.daily import SALE_STATUSES
from domain.analytics.models import (
    CampaignMetrics,
    CustomerForecast,
    CustomerMetrics,
    DemandForecast,
    ForecastCandidate,
    ForecastRun,
    RevenueForecastPoint,
    WarehouseDemand,
)
from domain.core.ops import JobRun
from domain.crm.models import Customer
from domain.erp.models import SalesOrder, StockItem

CUSTOMER: Table = Customer.__table__  # type: ignore[assignment]
STOCK_ITEM: Table = StockItem.__table__  # type: ignore[assignment]
SALES_ORDER: Table = SalesOrder.__table__  # type: ignore[assignment]
CUSTOMER_METRICS: Table = CustomerMetrics.__table__  # type: ignore[assignment]
CUSTOMER_FORECAST: Table = CustomerForecast.__table__  # type: ignore[assignment]
DEMAND_FORECAST: Table = DemandForecast.__table__  # type: ignore[assignment]
WAREHOUSE_DEMAND: Table = WarehouseDemand.__table__  # type: ignore[assignment]
CAMPAIGN_METRICS: Table = CampaignMetrics.__table__  # type: ignore[assignment]
FORECAST_RUN: Table = ForecastRun.__table__  # type: ignore[assignment]
FORECAST_POINT: Table = RevenueForecastPoint.__table__  # type: ignore[assignment]
FORECAST_CANDIDATE: Table = ForecastCandidate.__table__  # type: ignore[assignment]
JOB_RUN: Table = JobRun.__table__  # type: ignore[assignment]

# Prefixes of the two halves of a `customer_figures` row.
METRICS = "metrics_"
FORECAST = "forecast_"


def customer_figures(customer_ids: ColumnElement[Any]) -> Any:
    """Metrics and forecast of each customer in the array, in one row per customer.

    Both are primary-key reads of their tables, so one statement serves both: the metrics'
    columns come prefixed `metrics_`, the forecast's `forecast_` (null where the workers have
    not computed them yet).
    """
    joined = CUSTOMER.outerjoin(
        CUSTOMER_METRICS, CUSTOMER_METRICS.c.customer_id == CUSTOMER.c.id
    ).outerjoin(CUSTOMER_FORECAST, CUSTOMER_FORECAST.c.customer_id == CUSTOMER.c.id)
    columns: list[ColumnElement[Any]] = [CUSTOMER.c.id]
    columns += [column.label(METRICS + column.name) for column in CUSTOMER_METRICS.c]
    columns += [column.label(FORECAST + column.name) for column in CUSTOMER_FORECAST.c]
    return select(*columns).select_from(joined).where(CUSTOMER.c.id == any_(customer_ids))


# Names what a suggestion is about: an item across warehouses (`item:7`) or an item in one
# warehouse (`level:42`); the two tables' keys alone would collide.
REPLENISHMENT_KEY = "replenishment_key"


def replenishment_of_items(item_ids: ColumnElement[Any]) -> Any:
    """The demand forecast and reorder suggestion of each item in the array."""
    key = func.concat("item:", DEMAND_FORECAST.c.stock_item_id).label(REPLENISHMENT_KEY)
    return select(DEMAND_FORECAST, key).where(DEMAND_FORECAST.c.stock_item_id == any_(item_ids))


def replenishment_of_stock_levels(level_ids: ColumnElement[Any]) -> Any:
    """The demand forecast and reorder suggestion of each stock level (an item in one
    warehouse) in the array."""
    key = func.concat("level:", WAREHOUSE_DEMAND.c.stock_level_id).label(REPLENISHMENT_KEY)
    return select(WAREHOUSE_DEMAND, key).where(WAREHOUSE_DEMAND.c.stock_level_id == any_(level_ids))


def performance_of_campaigns(campaign_ids: ColumnElement[Any]) -> Any:
    """The computed results of each campaign in the array."""
    return select(CAMPAIGN_METRICS).where(CAMPAIGN_METRICS.c.campaign_id == any_(campaign_ids))


def newest_run(name: str) -> Any:
    """The newest successful run of a job (`ops.job_run`), with its details."""
    return (
        select(JOB_RUN)
        .where(JOB_RUN.c.name == name, JOB_RUN.c.status == "succeeded")
        .order_by(JOB_RUN.c.finished_at.desc(), JOB_RUN.c.id.desc())
        .limit(1)
    )


def newest_forecast_run(scope: str, key: str) -> Any:
    """The newest successful revenue forecast run of a series (scope and key)."""
    return (
        select(FORECAST_RUN)
        .where(
            FORECAST_RUN.c.scope == scope,
            FORECAST_RUN.c.key == key,
            FORECAST_RUN.c.status == "succeeded",
        )
        .order_by(FORECAST_RUN.c.started_at.desc(), FORECAST_RUN.c.id.desc())
        .limit(1)
    )


def forecast_candidates(run_id: int) -> Any:
    """How every candidate method did in a forecast run's backtest, best first."""
    return (
        select(FORECAST_CANDIDATE)
        .where(FORECAST_CANDIDATE.c.run_id == run_id)
        .order_by(FORECAST_CANDIDATE.c.mase.asc().nulls_last(), FORECAST_CANDIDATE.c.model)
    )


def forecast_points(run_id: int, days: int) -> Any:
    """The first `days` daily points of a forecast run."""
    return (
        select(FORECAST_POINT)
        .where(FORECAST_POINT.c.run_id == run_id)
        .order_by(FORECAST_POINT.c.day)
        .limit(days)
    )


# Items without a computed cover (no demand) sort after every item that has one.
_NO_COVER = Decimal("1e9")


def items_to_reorder() -> tuple[FromClause, ColumnElement[Any], ColumnElement[bool]]:
    """Stock items with a reorder suggestion, as (rows to read, sort key, condition): the
    items joined to their demand forecast, the days their stock lasts (soonest out of stock
    first), and "a reorder quantity is suggested"."""
    cover = func.coalesce(DEMAND_FORECAST.c.days_of_cover, _NO_COVER)
    joined = STOCK_ITEM.join(DEMAND_FORECAST, DEMAND_FORECAST.c.stock_item_id == STOCK_ITEM.c.id)
    return joined, cover, DEMAND_FORECAST.c.suggested_reorder_quantity > 0


def lifetime_revenue(customer: Any) -> ColumnElement[Any]:
    """A customer's lifetime revenue as its metrics hold it (null until computed)."""
    return (
        select(CUSTOMER_METRICS.c.lifetime_revenue)
        .where(CUSTOMER_METRICS.c.customer_id == customer.c.id)
        .correlate(customer)
        .scalar_subquery()
    )


def _sales_since(since: ColumnElement[Any]) -> list[ColumnElement[bool]]:
    """Orders that count as sales (placed, confirmed, fulfilled), placed since a moment."""
    return [
        SALES_ORDER.c.status == any_(literal(list(SALE_STATUSES), ARRAY(String))),
        SALES_ORDER.c.ordered_at >= since,
    ]


def revenue_by_customer_since(since: ColumnElement[Any]) -> Any:
    """What each customer bought since a moment, the net of its sales as the revenue figures
    count them: (customer_id, revenue) of those who bought, in one pass over the orders."""
    return (
        select(SALES_ORDER.c.customer_id, func.sum(SALES_ORDER.c.subtotal).label("revenue"))
        .where(*_sales_since(since))
        .group_by(SALES_ORDER.c.customer_id)
        .subquery("revenue")
    )


def expected_revenue_90d(customer: Any) -> ColumnElement[Any]:
    """A customer's expected revenue of the next 90 days, as its forecast holds it (null
    until computed)."""
    return (
        select(CUSTOMER_FORECAST.c.expected_revenue_90d)
        .where(CUSTOMER_FORECAST.c.customer_id == customer.c.id)
        .correlate(customer)
        .scalar_subquery()
    )


def customers_by_lifetime_revenue() -> tuple[FromClause, ColumnElement[Any]]:
    """Customers with their lifetime revenue, as (rows to read, sort key); customers without
    computed metrics count as zero revenue."""
    joined = CUSTOMER.outerjoin(CUSTOMER_METRICS, CUSTOMER_METRICS.c.customer_id == CUSTOMER.c.id)
    return joined, func.coalesce(CUSTOMER_METRICS.c.lifetime_revenue, 0)
