"""Revenue forecasts are chosen among candidate methods by backtest: each run stores every
candidate's backtest scores (`analytics.forecast_candidate`), the served model's interval
coverage, and the day it was made as of (`forecast_run.interval_coverage`, `as_of`).

Revision ID: 0024_forecast_candidates
Revises: 0023_live_customers_by_name
Create Date: 2026-12-06 20:12:51.466444+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_forecast_candidates"
down_revision: str | None = "0023_live_customers_by_name"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "forecast_candidate",
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("mase", sa.Double(), nullable=True),
        sa.Column("mape", sa.Double(), nullable=True),
        sa.Column("interval_coverage", sa.Double(), nullable=True),
        sa.Column("origins", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("served", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analytics.forecast_run.id"],
            name=op.f("fk_forecast_candidate_run_id_forecast_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "model", name=op.f("pk_forecast_candidate")),
        schema="analytics",
    )
    op.add_column(
        "forecast_run",
        sa.Column("interval_coverage", sa.Double(), nullable=True),
        schema="analytics",
    )
    op.add_column("forecast_run", sa.Column("as_of", sa.Date(), nullable=True), schema="analytics")


def downgrade() -> None:
    op.drop_column("forecast_run", "as_of", schema="analytics")
    op.drop_column("forecast_run", "interval_coverage", schema="analytics")
    op.drop_table("forecast_candidate", schema="analytics")
