"""Campaign control groups: a member may be held out (`crm.campaign_member.held_out`: in the
audience, never contacted), and campaign results compare treated with held-out members
(revenue per member, conversion, what the campaign added, with confidence intervals).

Revision ID: 0026_campaign_control_groups
Revises: 0025_campaign_attribution
Create Date: 2026-12-06 20:57:15.921981+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026_campaign_control_groups"
down_revision: str | None = "0025_campaign_attribution"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaign_metrics",
        sa.Column("control_members", sa.Integer(), server_default=sa.text("0"), nullable=False),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("treated_revenue_per_member", sa.Numeric(precision=14, scale=2), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("control_revenue_per_member", sa.Numeric(precision=14, scale=2), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("incremental_revenue", sa.Numeric(precision=14, scale=2), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("incremental_revenue_low", sa.Numeric(precision=14, scale=2), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("incremental_revenue_high", sa.Numeric(precision=14, scale=2), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("treated_conversion", sa.Numeric(precision=6, scale=4), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("control_conversion", sa.Numeric(precision=6, scale=4), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("incremental_conversion_low", sa.Numeric(precision=6, scale=4), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_metrics",
        sa.Column("incremental_conversion_high", sa.Numeric(precision=6, scale=4), nullable=True),
        schema="analytics",
    )
    op.add_column(
        "campaign_member",
        sa.Column("held_out", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        schema="crm",
    )


def downgrade() -> None:
    op.drop_column("campaign_member", "held_out", schema="crm")
    op.drop_column("campaign_metrics", "incremental_conversion_high", schema="analytics")
    op.drop_column("campaign_metrics", "incremental_conversion_low", schema="analytics")
    op.drop_column("campaign_metrics", "control_conversion", schema="analytics")
    op.drop_column("campaign_metrics", "treated_conversion", schema="analytics")
    op.drop_column("campaign_metrics", "incremental_revenue_high", schema="analytics")
    op.drop_column("campaign_metrics", "incremental_revenue_low", schema="analytics")
    op.drop_column("campaign_metrics", "incremental_revenue", schema="analytics")
    op.drop_column("campaign_metrics", "control_revenue_per_member", schema="analytics")
    op.drop_column("campaign_metrics", "treated_revenue_per_member", schema="analytics")
    op.drop_column("campaign_metrics", "control_members", schema="analytics")
