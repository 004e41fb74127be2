"""Forecast details: no P(alive) before a first purchase; what a reorder suggestion rests on.

Revision ID: 0003_forecast_details
Revises: 0002_bi_views
Create Date: 2026-11-22 16:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_forecast_details"
down_revision: str | None = "0002_bi_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "customer_forecast",
        "probability_alive",
        existing_type=sa.Numeric(precision=5, scale=4),
        nullable=True,
        schema="analytics",
    )
    for column, kind in (
        ("daily_demand_sd", sa.Numeric(precision=12, scale=4)),
        ("lead_time_days", sa.Integer()),
        ("reorder_level", sa.Integer()),
    ):
        op.add_column(
            "demand_forecast",
            sa.Column(column, kind, server_default=sa.text("0"), nullable=False),
            schema="analytics",
        )


def downgrade() -> None:
    for column in ("reorder_level", "lead_time_days", "daily_demand_sd"):
        op.drop_column("demand_forecast", column, schema="analytics")
    op.execute(
        "UPDATE analytics.customer_forecast SET probability_alive = 0 "
        "WHERE probability_alive IS NULL"
    )
    op.alter_column(
        "customer_forecast",
        "probability_alive",
        existing_type=sa.Numeric(precision=5, scale=4),
        nullable=False,
        schema="analytics",
    )
