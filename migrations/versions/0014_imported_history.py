"""Imported employees, price lists and their rules, opening stock and historical sales orders
(with lines, deliveries, invoices and payments) keep where they came from:
(external_source, external_id).

Revision ID: 0014_imported_history
Revises: 0013_price_list_version
Create Date: 2026-12-06 12:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_imported_history"
down_revision: str | None = "0013_price_list_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IMPORTED = (
    ("erp", "employee"),
    ("erp", "price_list"),
    ("erp", "price_rule"),
    ("erp", "stock_movement"),
    ("erp", "sales_order"),
    ("erp", "sales_order_line"),
    ("erp", "delivery"),
    ("erp", "invoice"),
    ("erp", "payment"),
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
