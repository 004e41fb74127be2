"""Trigram indexes for every column a `search` argument matches.

Revision ID: 0004_search_indexes
Revises: 0003_forecast_details
Create Date: 2026-12-03 14:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_search_indexes"
down_revision: str | None = "0003_forecast_details"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (schema, table, column): the searched columns 0001 left without a trigram index.
COLUMNS = (
    ("crm", "customer", "code"),
    ("crm", "campaign", "name"),
    ("crm", "interaction", "subject"),
    ("crm", "opportunity", "name"),
    ("crm", "ticket", "number"),
    ("crm", "ticket", "subject"),
    ("erp", "employee", "email"),
    ("erp", "supplier", "code"),
    ("erp", "supplier", "email"),
    ("erp", "purchase_order", "number"),
)


def upgrade() -> None:
    for schema, table, column in COLUMNS:
        op.create_index(
            f"ix_{table}_{column}_trgm",
            table,
            [column],
            schema=schema,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    for schema, table, column in COLUMNS:
        op.drop_index(f"ix_{table}_{column}_trgm", table_name=table, schema=schema)
