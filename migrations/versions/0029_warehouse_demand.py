"""Demand per warehouse (`analytics.warehouse_demand`): each stock level's share of its
item's demand forecast and its own reorder suggestion.

Revision ID: 0029_warehouse_demand
Revises: 0028_forecast_driver_effects
Create Date: 2026-12-06 23:39:43.397916+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029_warehouse_demand"
down_revision: str | None = "0028_forecast_driver_effects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "warehouse_demand",
        sa.Column("stock_level_id", sa.BigInteger(), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=40), nullable=False),
        sa.Column("share", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("daily_demand", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("daily_demand_sd", sa.Numeric(precision=12, scale=4), nullable=False),
        sa.Column("forecast_demand_30d", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("on_order", sa.Integer(), nullable=False),
        sa.Column("lead_time_days", sa.Integer(), nullable=False),
        sa.Column("reorder_level", sa.Integer(), nullable=False),
        sa.Column("days_of_cover", sa.Numeric(precision=10, scale=1), nullable=True),
        sa.Column("suggested_reorder_quantity", sa.Integer(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_warehouse_demand_stock_item_id_stock_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stock_level_id"],
            ["erp.stock_level.id"],
            name=op.f("fk_warehouse_demand_stock_level_id_stock_level"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_warehouse_demand_warehouse_id_warehouse"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stock_level_id", name=op.f("pk_warehouse_demand")),
        schema="analytics",
    )
    op.create_index(
        op.f("ix_analytics_warehouse_demand_stock_item_id"),
        "warehouse_demand",
        ["stock_item_id"],
        unique=False,
        schema="analytics",
    )

    op.create_index(
        op.f("ix_analytics_warehouse_demand_warehouse_id"),
        "warehouse_demand",
        ["warehouse_id"],
        unique=False,
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_analytics_warehouse_demand_warehouse_id"),
        table_name="warehouse_demand",
        schema="analytics",
    )
    op.drop_index(
        op.f("ix_analytics_warehouse_demand_stock_item_id"),
        table_name="warehouse_demand",
        schema="analytics",
    )
    op.drop_table("warehouse_demand", schema="analytics")
