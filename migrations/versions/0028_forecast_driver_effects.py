"""A forecast candidate records its regressors' fitted effects
(`analytics.forecast_candidate.effects`: the campaign reach's, for Prophet with campaigns).

Revision ID: 0028_forecast_driver_effects
Revises: 0027_campaign_performance_view
Create Date: 2026-12-06 23:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0028_forecast_driver_effects"
down_revision: str | None = "0027_campaign_performance_view"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "forecast_candidate",
        sa.Column(
            "effects",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_column("forecast_candidate", "effects", schema="analytics")
