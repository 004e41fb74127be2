"""Campaigns get a version: their status now moves (started, completed, cancelled).

Revision ID: 0008_campaign_version
Revises: 0007_outbox_effects
Create Date: 2026-12-06 07:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_campaign_version"
down_revision: str | None = "0007_outbox_effects"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "campaign",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema="crm",
    )


def downgrade() -> None:
    op.drop_column("campaign", "version", schema="crm")
