"""Imported customers, contacts, suppliers and stock items keep where they came from:
(external_source, external_id).

Revision ID: 0012_external_ids
Revises: 0011_archiving
Create Date: 2026-12-06 09:50:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_external_ids"
down_revision: str | None = "0011_archiving"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMPORTED = (
    ("crm", "customer"),
    ("crm", "contact"),
    ("erp", "supplier"),
    ("erp", "stock_item"),
)


def upgrade() -> None:
    for schema, table in IMPORTED:
        op.add_column(table, sa.Column("external_source", sa.String(40)), schema=schema)
        op.add_column(table, sa.Column("external_id", sa.String(100)), schema=schema)
        op.create_unique_constraint(
            f"uq_{table}_external", table, ["external_source", "external_id"], schema=schema
        )


def downgrade() -> None:
    for schema, table in reversed(IMPORTED):
        op.drop_constraint(f"uq_{table}_external", table, schema=schema)
        op.drop_column(table, "external_id", schema=schema)
        op.drop_column(table, "external_source", schema=schema)
