"""Saved customer segments (`crm.segment`): a name and the conditions of a `where` on
customers, evaluated live whenever the segment is read.

Revision ID: 0021_segments
Revises: 0020_order_tier_at_sale
Create Date: 2026-12-06 18:25:38.257316+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0021_segments"
down_revision: str | None = "0020_order_tier_at_sale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "segment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("definition", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_segment_created_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
        sa.UniqueConstraint("name", name=op.f("uq_segment_name")),
        schema="crm",
    )
    op.create_index(
        op.f("ix_crm_segment_created_by_id"),
        "segment",
        ["created_by_id"],
        unique=False,
        schema="crm",
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_crm_segment_created_by_id"), table_name="segment", schema="crm")
    op.drop_table("segment", schema="crm")
