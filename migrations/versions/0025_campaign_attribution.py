"""Campaign results side by side under three attribution models: last touch (as before),
first touch and linear (`analytics.campaign_metrics.first_touch_*`, `linear_*`); the
nightly run fills them.

Revision ID: 0025_campaign_attribution
Revises: 0024_forecast_candidates
Create Date: 2026-12-06 20:29:50.001775+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025_campaign_attribution"
down_revision: str | None = "0024_forecast_candidates"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaign_metrics",
        sa.Column("first_touch_orders", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column(
            "first_touch_revenue",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column(
            "linear_orders",
            sa.Numeric(precision=12, scale=4),
            server_default=sa.text("0"),
            nullable=False,
        ),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column(
            "linear_revenue",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_column("campaign_metrics", "linear_revenue", schema="analytics")
    op.drop_column("campaign_metrics", "linear_orders", schema="analytics")
    op.drop_column("campaign_metrics", "first_touch_revenue", schema="analytics")
    op.drop_column("campaign_metrics", "first_touch_orders", schema="analytics")
