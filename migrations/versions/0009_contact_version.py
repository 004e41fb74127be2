"""Contacts get a version: they can be changed now (contactUpdate).

Revision ID: 0009_contact_version
Revises: 0008_campaign_version
Create Date: 2026-12-06 07:40:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_contact_version"
down_revision: str | None = "0008_campaign_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "contact",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema="crm",
    )


def downgrade() -> None:
    op.drop_column("contact", "version", schema="crm")
