"""Price lists get a version: they and their rules can be changed now.

Revision ID: 0013_price_list_version
Revises: 0012_external_ids
Create Date: 2026-12-06 10:10:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_price_list_version"
down_revision: str | None = "0012_external_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "price_list",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema="erp",
    )


def downgrade() -> None:
    op.drop_column("price_list", "version", schema="erp")
