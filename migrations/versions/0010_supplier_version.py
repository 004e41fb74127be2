"""Suppliers get a version: they can be changed now (supplierUpdate).

Revision ID: 0010_supplier_version
Revises: 0009_contact_version
Create Date: 2026-12-06 07:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_supplier_version"
down_revision: str | None = "0009_contact_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "supplier",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema="erp",
    )


def downgrade() -> None:
    op.drop_column("supplier", "version", schema="erp")
