"""Supplier bills, their lines matched against purchase order lines, and supplier payments;
payable lines of the ledger name the bill they book or settle.

Revision ID: 0018_supplier_bills
Revises: 0017_ledger_bi_views
Create Date: 2026-12-06 15:05:59.707363+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018_supplier_bills"
down_revision: str | None = "0017_ledger_bi_views"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supplier_bill",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("purchase_order_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("net", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("price_difference", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('open', 'partially_paid', 'paid', 'void')",
            name=op.f("ck_supplier_bill_status"),
        ),
        sa.CheckConstraint("due_on >= bill_date", name=op.f("ck_supplier_bill_due_after_bill")),
        sa.CheckConstraint(
            "net >= 0 AND tax >= 0", name=op.f("ck_supplier_bill_amounts_non_negative")
        ),
        sa.CheckConstraint(
            "tax_rate >= 0 AND tax_rate < 1", name=op.f("ck_supplier_bill_tax_rate_range")
        ),
        sa.CheckConstraint("total = net + tax", name=op.f("ck_supplier_bill_total_adds_up")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_supplier_bill_created_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["erp.purchase_order.id"],
            name=op.f("fk_supplier_bill_purchase_order_id_purchase_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["erp.supplier.id"],
            name=op.f("fk_supplier_bill_supplier_id_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_bill")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_bill_created_by_id"),
        "supplier_bill",
        ["created_by_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_bill_due_on"),
        "supplier_bill",
        ["due_on"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_bill_purchase_order_id"),
        "supplier_bill",
        ["purchase_order_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        "uq_supplier_bill_supplier_number",
        "supplier_bill",
        ["supplier_id", "number"],
        unique=True,
        schema="finance",
        postgresql_where=sa.text("status <> 'void'"),
    )
    op.create_table(
        "supplier_bill_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("supplier_bill_id", sa.BigInteger(), nullable=False),
        sa.Column("purchase_order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("net", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("price_difference", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("net >= 0", name=op.f("ck_supplier_bill_line_net_non_negative")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_supplier_bill_line_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0 AND unit_cost >= 0",
            name=op.f("ck_supplier_bill_line_prices_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["erp.purchase_order_line.id"],
            name=op.f("fk_supplier_bill_line_purchase_order_line_id_purchase_order_line"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_supplier_bill_line_stock_item_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_bill_id"],
            ["finance.supplier_bill.id"],
            name=op.f("fk_supplier_bill_line_supplier_bill_id_supplier_bill"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_bill_line")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_bill_line_purchase_order_line_id"),
        "supplier_bill_line",
        ["purchase_order_line_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_bill_line_stock_item_id"),
        "supplier_bill_line",
        ["stock_item_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_bill_line_supplier_bill_id"),
        "supplier_bill_line",
        ["supplier_bill_id"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "supplier_payment",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("supplier_bill_id", sa.BigInteger(), nullable=False),
        sa.Column("supplier_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_supplier_payment_amount_positive")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_supplier_payment_created_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_bill_id"],
            ["finance.supplier_bill.id"],
            name=op.f("fk_supplier_payment_supplier_bill_id_supplier_bill"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["erp.supplier.id"],
            name=op.f("fk_supplier_payment_supplier_id_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_payment")),
        sa.UniqueConstraint("number", name=op.f("uq_supplier_payment_number")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_payment_created_by_id"),
        "supplier_payment",
        ["created_by_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_payment_supplier_bill_id"),
        "supplier_payment",
        ["supplier_bill_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_supplier_payment_supplier_id"),
        "supplier_payment",
        ["supplier_id"],
        unique=False,
        schema="finance",
    )
    op.add_column(
        "journal_line",
        sa.Column("supplier_bill_id", sa.BigInteger(), nullable=True),
        schema="finance",
    )
    op.create_index(
        "ix_journal_line_supplier_bill_id",
        "journal_line",
        ["supplier_bill_id"],
        unique=False,
        schema="finance",
        postgresql_where=sa.text("supplier_bill_id IS NOT NULL"),
    )
    op.create_foreign_key(
        op.f("fk_journal_line_supplier_bill_id_supplier_bill"),
        "journal_line",
        "supplier_bill",
        ["supplier_bill_id"],
        ["id"],
        source_schema="finance",
        referent_schema="finance",
        ondelete="RESTRICT",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_journal_line_supplier_bill_id_supplier_bill"),
        "journal_line",
        schema="finance",
        type_="foreignkey",
    )
    op.drop_index(
        "ix_journal_line_supplier_bill_id",
        table_name="journal_line",
        schema="finance",
        postgresql_where=sa.text("supplier_bill_id IS NOT NULL"),
    )
    op.drop_column("journal_line", "supplier_bill_id", schema="finance")
    op.drop_index(
        op.f("ix_finance_supplier_payment_supplier_id"),
        table_name="supplier_payment",
        schema="finance",
    )
    op.drop_index(
        op.f("ix_finance_supplier_payment_supplier_bill_id"),
        table_name="supplier_payment",
        schema="finance",
    )
    op.drop_index(
        op.f("ix_finance_supplier_payment_created_by_id"),
        table_name="supplier_payment",
        schema="finance",
    )
    op.drop_table("supplier_payment", schema="finance")
    op.drop_index(
        op.f("ix_finance_supplier_bill_line_supplier_bill_id"),
        table_name="supplier_bill_line",
        schema="finance",
    )
    op.drop_index(
        op.f("ix_finance_supplier_bill_line_stock_item_id"),
        table_name="supplier_bill_line",
        schema="finance",
    )
    op.drop_index(
        op.f("ix_finance_supplier_bill_line_purchase_order_line_id"),
        table_name="supplier_bill_line",
        schema="finance",
    )
    op.drop_table("supplier_bill_line", schema="finance")
    op.drop_index(
        "uq_supplier_bill_supplier_number",
        table_name="supplier_bill",
        schema="finance",
        postgresql_where=sa.text("status <> 'void'"),
    )
    op.drop_index(
        op.f("ix_finance_supplier_bill_purchase_order_id"),
        table_name="supplier_bill",
        schema="finance",
    )
    op.drop_index(
        op.f("ix_finance_supplier_bill_due_on"), table_name="supplier_bill", schema="finance"
    )
    op.drop_index(
        op.f("ix_finance_supplier_bill_created_by_id"), table_name="supplier_bill", schema="finance"
    )
    op.drop_table("supplier_bill", schema="finance")
