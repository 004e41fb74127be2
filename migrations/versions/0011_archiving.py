"""Records users keep lists of can be archived (`archived_at`); departments get a version.

Revision ID: 0011_archiving
Revises: 0010_supplier_version
Create Date: 2026-12-06 09:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_archiving"
down_revision: str | None = "0010_supplier_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ARCHIVABLE = (
    ("crm", "customer"),
    ("crm", "contact"),
    ("crm", "campaign"),
    ("erp", "stock_item"),
    ("erp", "supplier"),
    ("erp", "department"),
)


def upgrade() -> None:
    for schema, table in ARCHIVABLE:
        op.add_column(
            table,
            sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
            schema=schema,
        )
    op.add_column(
        "department",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        schema="erp",
    )


def downgrade() -> None:
    op.drop_column("department", "version", schema="erp")
    for schema, table in reversed(ARCHIVABLE):
        op.drop_column(table, "archived_at", schema=schema)
