"""An index of the customers not archived, by name (`ix_customer_live_by_name`): the order
customer lists are read in, so a page walks it and stops after its rows, and a count over
them reads the index alone (docs/PERFORMANCE.md, "Questions about many records").

Revision ID: 0023_live_customers_by_name
Revises: 0022_invoice_amounts
Create Date: 2026-12-06 20:05:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023_live_customers_by_name"
down_revision: str | None = "0022_invoice_amounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_customer_live_by_name",
        "customer",
        ["name", "id"],
        schema="crm",
        postgresql_where=sa.text("archived_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_customer_live_by_name", "customer", schema="crm")
