"""The products an open deal would sell: the material plan weighs them by the deal's
probability.

Revision ID: 0033_opportunity_products
Revises: 0032_production
Create Date: 2026-12-09 12:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0033_opportunity_products"
down_revision: str | None = "0032_production"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "opportunity_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("opportunity_id", sa.BigInteger(), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_opportunity_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["crm.opportunity.id"],
            name=op.f("fk_opportunity_line_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_opportunity_line_stock_item_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_line")),
        sa.UniqueConstraint("opportunity_id", "stock_item_id", name="uq_opportunity_line_item"),
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_opportunity_line_opportunity_id"),
        "opportunity_line",
        ["opportunity_id"],
        unique=False,
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_opportunity_line_stock_item_id"),
        "opportunity_line",
        ["stock_item_id"],
        unique=False,
        schema="crm",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_crm_opportunity_line_stock_item_id"), table_name="opportunity_line", schema="crm"
    )
    op.drop_index(
        op.f("ix_crm_opportunity_line_opportunity_id"), table_name="opportunity_line", schema="crm"
    )
    op.drop_table("opportunity_line", schema="crm")
