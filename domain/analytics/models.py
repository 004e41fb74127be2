"""Precomputed analytics (schema `analytics`), written only by workers, read by the API.

Every row carries `computed_at` so readers can tell how fresh a figure is.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.analytics.rfm import RFM_SEGMENTS
from domain.core.model_base import Base, BigId, CreatedAt, one_of

SCHEMA = "analytics"
FORECAST_SCOPES = ("company", "tier", "category")
RUN_STATUSES = ("running", "succeeded", "failed")


class CustomerMetrics(Base):
    __tablename__ = "customer_metrics"
    __table_args__ = (
        one_of("rfm_segment", "rfm_segment", RFM_SEGMENTS),
        Index("ix_customer_metrics_lifetime_revenue", "lifetime_revenue", "customer_id"),
        {"schema": SCHEMA},
    )

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("crm.customer.id", ondelete="CASCADE"), primary_key=True
    )
    lifetime_revenue: Mapped[Decimal] = mapped_column(
        default=Decimal("0"), server_default=text("0")
    )
    order_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    average_order_value: Mapped[Decimal | None] = mapped_column()
    first_order_at: Mapped[datetime | None] = mapped_column()
    last_order_at: Mapped[datetime | None] = mapped_column()
    open_balance: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    overdue_balance: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    recency_days: Mapped[int | None] = mapped_column()
    r_score: Mapped[int | None] = mapped_column(SmallInteger)
    f_score: Mapped[int | None] = mapped_column(SmallInteger)
    m_score: Mapped[int | None] = mapped_column(SmallInteger)
    rfm_segment: Mapped[str | None] = mapped_column(String(30), index=True)
    computed_at: Mapped[datetime] = mapped_column()


class CustomerForecast(Base):
    __tablename__ = "customer_forecast"
    __table_args__ = {"schema": SCHEMA}

    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("crm.customer.id", ondelete="CASCADE"), primary_key=True
    )
    expected_orders_90d: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    expected_revenue_90d: Mapped[Decimal]
    revenue_low: Mapped[Decimal]
    revenue_high: Mapped[Decimal]
    # Null for customers who have not bought yet: BG/NBD starts at the first purchase.
    probability_alive: Mapped[Decimal | None] = mapped_column(Numeric(5, 4))
    pipeline_value: Mapped[Decimal] = mapped_column(default=Decimal("0"), server_default=text("0"))
    method: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column()


class ForecastRun(Base):
    __tablename__ = "forecast_run"
    __table_args__ = (
        one_of("scope", "scope", FORECAST_SCOPES),
        one_of("status", "status", RUN_STATUSES),
        Index("ix_forecast_run_scope_key_started", "scope", "key", "started_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    scope: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(40), default="", server_default="")
    model: Mapped[str] = mapped_column(String(40), default="prophet", server_default="prophet")
    status: Mapped[str] = mapped_column(String(20), default="running", server_default="running")
    horizon_days: Mapped[int] = mapped_column(default=90, server_default=text("90"))
    history_from: Mapped[date | None] = mapped_column(Date)
    history_to: Mapped[date | None] = mapped_column(Date)
    mape: Mapped[float | None] = mapped_column()
    mase: Mapped[float | None] = mapped_column()
    baseline_mape: Mapped[float | None] = mapped_column()
    baseline_mase: Mapped[float | None] = mapped_column()
    # Share of backtest actuals inside the served model's 80 % interval.
    interval_coverage: Mapped[float | None] = mapped_column()
    # The day the forecast was made as of: history ends the day before.
    as_of: Mapped[date | None] = mapped_column(Date)
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    error: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[CreatedAt]
    finished_at: Mapped[datetime | None] = mapped_column()


class ForecastCandidate(Base):
    """How one candidate method did in a run's backtest (`domain.analytics.forecasters`):
    the served one has the lowest MASE."""

    __tablename__ = "forecast_candidate"
    __table_args__ = {"schema": SCHEMA}

    run_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("analytics.forecast_run.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(40), primary_key=True)
    mase: Mapped[float | None] = mapped_column()
    mape: Mapped[float | None] = mapped_column()
    interval_coverage: Mapped[float | None] = mapped_column()
    origins: Mapped[int] = mapped_column()
    seconds: Mapped[float] = mapped_column()
    served: Mapped[bool] = mapped_column()
    # Why the candidate could not be scored (its fit failed), if it could not.
    error: Mapped[str | None] = mapped_column(Text)
    # Its regressors' fitted effects at the last backtest origin, by regressor: the relative
    # change of daily revenue per unit (per member within a campaign window), against a day
    # of the history's average.
    effects: Mapped[dict[str, float]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )


class RevenueForecastPoint(Base):
    __tablename__ = "revenue_forecast_point"
    __table_args__ = {"schema": SCHEMA}

    run_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("analytics.forecast_run.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    revenue: Mapped[Decimal]
    revenue_low: Mapped[Decimal]
    revenue_high: Mapped[Decimal]


class DemandForecast(Base):
    __tablename__ = "demand_forecast"
    __table_args__ = {"schema": SCHEMA}

    stock_item_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("erp.stock_item.id", ondelete="CASCADE"), primary_key=True
    )
    method: Mapped[str] = mapped_column(String(40))
    daily_demand: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    daily_demand_sd: Mapped[Decimal] = mapped_column(
        Numeric(12, 4), default=Decimal("0"), server_default=text("0")
    )
    forecast_demand_30d: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    available: Mapped[int]
    on_order: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    lead_time_days: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    reorder_level: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    days_of_cover: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    suggested_reorder_quantity: Mapped[int] = mapped_column(index=True)
    computed_at: Mapped[datetime] = mapped_column()


class WarehouseDemand(Base):
    """An item's demand forecast split over the warehouses it is stocked in, and each
    warehouse's reorder suggestion (`domain.analytics.replenishment`)."""

    __tablename__ = "warehouse_demand"
    __table_args__ = {"schema": SCHEMA}

    stock_level_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("erp.stock_level.id", ondelete="CASCADE"), primary_key=True
    )
    stock_item_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("erp.stock_item.id", ondelete="CASCADE"), index=True
    )
    warehouse_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("erp.warehouse.id", ondelete="CASCADE"), index=True
    )
    method: Mapped[str] = mapped_column(String(40))
    # The warehouse's share of the item's units sold (last 90 days, else ever).
    share: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    daily_demand: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    daily_demand_sd: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    forecast_demand_30d: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    available: Mapped[int]
    on_order: Mapped[int]
    lead_time_days: Mapped[int]
    reorder_level: Mapped[int]
    days_of_cover: Mapped[Decimal | None] = mapped_column(Numeric(10, 1))
    suggested_reorder_quantity: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column()


class CampaignMetrics(Base):
    __tablename__ = "campaign_metrics"
    __table_args__ = {"schema": SCHEMA}

    campaign_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("crm.campaign.id", ondelete="CASCADE"), primary_key=True
    )
    targeted: Mapped[int]
    responded: Mapped[int]
    converted: Mapped[int]
    # Last touch: each order counted once, for the most recent touch before it.
    attributed_orders: Mapped[int]
    attributed_revenue: Mapped[Decimal]
    # First touch: for the earliest touch whose window holds the order.
    first_touch_orders: Mapped[int] = mapped_column(server_default=text("0"))
    first_touch_revenue: Mapped[Decimal] = mapped_column(server_default=text("0"))
    # Linear: an order split evenly among all campaigns whose window holds it.
    linear_orders: Mapped[Decimal] = mapped_column(Numeric(12, 4), server_default=text("0"))
    linear_revenue: Mapped[Decimal] = mapped_column(server_default=text("0"))
    # Treated against held-out members (null without a control group): revenue per member
    # and the share who bought within the window after their (would-be) touch, and what the
    # campaign added, with a 95 % confidence interval.
    control_members: Mapped[int] = mapped_column(server_default=text("0"))
    treated_revenue_per_member: Mapped[Decimal | None] = mapped_column()
    control_revenue_per_member: Mapped[Decimal | None] = mapped_column()
    incremental_revenue: Mapped[Decimal | None] = mapped_column()
    incremental_revenue_low: Mapped[Decimal | None] = mapped_column()
    incremental_revenue_high: Mapped[Decimal | None] = mapped_column()
    treated_conversion: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    control_conversion: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    incremental_conversion_low: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    incremental_conversion_high: Mapped[Decimal | None] = mapped_column(Numeric(6, 4))
    cost: Mapped[Decimal]
    roi: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    attribution_window_days: Mapped[int]
    computed_at: Mapped[datetime] = mapped_column()
