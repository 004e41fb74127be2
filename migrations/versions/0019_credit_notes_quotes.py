"""Credit notes (by lines or an amount) and their lines, sales returns and their lines,
refunds, quotes and their lines; invoices may be `credited`; `bi.invoices_aging` recreated
with the amount due net of credit notes and a last column `amount_credited`.

The view keeps its columns, names, types and order and gains one at the end, so
`CREATE OR REPLACE VIEW` keeps its grants and comments. Going back drops the column, which
only dropping the view can do: it is recreated as 0006 left it, with 0002's comments.

Revision ID: 0019_credit_notes_quotes
Revises: 0018_supplier_bills
Create Date: 2026-12-06 15:11:15.203193+00:00
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019_credit_notes_quotes"
down_revision: str | None = "0018_supplier_bills"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "'issued', 'partially_paid', 'paid', 'credited', 'void'"
PREVIOUS_STATUSES = "'issued', 'partially_paid', 'paid', 'void'"

INVOICES_AGING = """SELECT i.id AS invoice_id, i.number AS invoice_number, i.status, i.customer_id,
       c.code AS customer_code, c.name AS customer_name, so.number AS sales_order_number,
       i.currency, i.issued_on, i.due_on, i.total, due.paid AS amount_paid,
       CASE WHEN (i.status = 'void') THEN 0 ELSE greatest((i.total - due.paid) - due.credited, 0.00) END AS amount_due, late.days AS days_overdue,
       CASE
           WHEN late.days = 0 THEN 'current'
           WHEN late.days <= 30 THEN '1-30'
           WHEN late.days <= 60 THEN '31-60'
           WHEN late.days <= 90 THEN '61-90'
           ELSE '90+'
       END AS aging_bucket,
       CASE
           WHEN late.days = 0 THEN 0
           WHEN late.days <= 30 THEN 1
           WHEN late.days <= 60 THEN 2
           WHEN late.days <= 90 THEN 3
           ELSE 4
       END AS bucket_order,
       due.credited AS amount_credited
FROM erp.invoice i
CROSS JOIN LATERAL (
    SELECT coalesce(sum(p.amount), 0) AS paid,
           (SELECT coalesce(sum(n.total), 0) FROM erp.credit_note n
            WHERE n.invoice_id = i.id) AS credited
    FROM erp.payment p WHERE p.invoice_id = i.id
) due
CROSS JOIN LATERAL (SELECT CASE WHEN (CASE WHEN (i.status = 'void') THEN 0 ELSE greatest((i.total - due.paid) - due.credited, 0.00) END > 0 AND i.due_on < CURRENT_DATE) THEN CURRENT_DATE - i.due_on ELSE 0 END AS days) late
JOIN crm.customer c ON c.id = i.customer_id
LEFT JOIN erp.sales_order so ON so.id = i.sales_order_id
WHERE CASE WHEN (i.status = 'void') THEN 0 ELSE greatest((i.total - due.paid) - due.credited, 0.00) END > 0
"""


def upgrade() -> None:
    op.create_table(
        "quote",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("sales_rep_id", sa.BigInteger(), nullable=True),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="draft", nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=6, scale=4), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decline_reason", sa.String(length=500), nullable=True),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "(status = 'accepted') = (sales_order_id IS NOT NULL)", name=op.f("ck_quote_order_once")
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'sent', 'accepted', 'declined')", name=op.f("ck_quote_status")
        ),
        sa.CheckConstraint(
            "subtotal >= 0 AND tax_total >= 0 AND total >= 0",
            name=op.f("ck_quote_totals_non_negative"),
        ),
        sa.CheckConstraint("total = subtotal + tax_total", name=op.f("ck_quote_total_adds_up")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_quote_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"],
            ["erp.sales_order.id"],
            name=op.f("fk_quote_sales_order_id_sales_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sales_rep_id"],
            ["erp.employee.id"],
            name=op.f("fk_quote_sales_rep_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_quote_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote")),
        sa.UniqueConstraint("number", name=op.f("uq_quote_number")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_quote_customer_id"), "quote", ["customer_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_quote_sales_order_id"), "quote", ["sales_order_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_quote_sales_rep_id"), "quote", ["sales_rep_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_quote_warehouse_id"), "quote", ["warehouse_id"], unique=False, schema="erp"
    )
    op.create_index(
        "ix_quote_customer_created",
        "quote",
        ["customer_id", "created_at"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        "ix_quote_number_trgm",
        "quote",
        ["number"],
        unique=False,
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.create_table(
        "sales_return",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("sales_order_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("warehouse_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "stock_value",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "stock_value >= 0", name=op.f("ck_sales_return_stock_value_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_sales_return_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sales_order_id"],
            ["erp.sales_order.id"],
            name=op.f("fk_sales_return_sales_order_id_sales_order"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["erp.warehouse.id"],
            name=op.f("fk_sales_return_warehouse_id_warehouse"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_return")),
        sa.UniqueConstraint("number", name=op.f("uq_sales_return_number")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_return_customer_id"),
        "sales_return",
        ["customer_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_return_received_at"),
        "sales_return",
        ["received_at"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_return_sales_order_id"),
        "sales_return",
        ["sales_order_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_return_warehouse_id"),
        "sales_return",
        ["warehouse_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "credit_note",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("sales_return_id", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "refund_amount",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "refund_amount BETWEEN 0 AND total", name=op.f("ck_credit_note_refund_within_total")
        ),
        sa.CheckConstraint(
            "subtotal >= 0 AND tax_total >= 0 AND total > 0",
            name=op.f("ck_credit_note_totals_positive"),
        ),
        sa.CheckConstraint(
            "total = subtotal + tax_total", name=op.f("ck_credit_note_total_adds_up")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_credit_note_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["erp.invoice.id"],
            name=op.f("fk_credit_note_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sales_return_id"],
            ["erp.sales_return.id"],
            name=op.f("fk_credit_note_sales_return_id_sales_return"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_note_number")),
        schema="erp",
    )
    op.create_index(
        "ix_credit_note_customer_issued",
        "credit_note",
        ["customer_id", "issued_on"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        "ix_credit_note_number_trgm",
        "credit_note",
        ["number"],
        unique=False,
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.create_index(
        op.f("ix_erp_credit_note_customer_id"),
        "credit_note",
        ["customer_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_credit_note_invoice_id"),
        "credit_note",
        ["invoice_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_credit_note_sales_return_id"),
        "credit_note",
        ["sales_return_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "quote_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("quote_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("stock_item_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("list_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint(
            "discount_percent BETWEEN 0 AND 100", name=op.f("ck_quote_line_discount_range")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_quote_line_quantity_positive")),
        sa.CheckConstraint(
            "unit_price >= 0 AND list_price >= 0", name=op.f("ck_quote_line_prices_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["quote_id"],
            ["erp.quote.id"],
            name=op.f("fk_quote_line_quote_id_quote"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stock_item_id"],
            ["erp.stock_item.id"],
            name=op.f("fk_quote_line_stock_item_id_stock_item"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quote_line")),
        sa.UniqueConstraint("quote_id", "line_no", name="uq_quote_line_no"),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_quote_line_quote_id"), "quote_line", ["quote_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_quote_line_stock_item_id"),
        "quote_line",
        ["stock_item_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "sales_return_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("sales_return_id", sa.BigInteger(), nullable=False),
        sa.Column("sales_order_line_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("credited_quantity", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "value", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.CheckConstraint(
            "credited_quantity BETWEEN 0 AND quantity",
            name=op.f("ck_sales_return_line_credited_within_quantity"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_sales_return_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["sales_order_line_id"],
            ["erp.sales_order_line.id"],
            name=op.f("fk_sales_return_line_sales_order_line_id_sales_order_line"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sales_return_id"],
            ["erp.sales_return.id"],
            name=op.f("fk_sales_return_line_sales_return_id_sales_return"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_return_line")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_return_line_sales_order_line_id"),
        "sales_return_line",
        ["sales_order_line_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_sales_return_line_sales_return_id"),
        "sales_return_line",
        ["sales_return_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "credit_note_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("credit_note_id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_line_id", sa.BigInteger(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("line_total", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tax_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint(
            "line_total >= 0 AND tax_amount >= 0",
            name=op.f("ck_credit_note_line_amounts_non_negative"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_credit_note_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["erp.credit_note.id"],
            name=op.f("fk_credit_note_line_credit_note_id_credit_note"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_line_id"],
            ["erp.invoice_line.id"],
            name=op.f("fk_credit_note_line_invoice_line_id_invoice_line"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_note_line")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_credit_note_line_credit_note_id"),
        "credit_note_line",
        ["credit_note_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_credit_note_line_invoice_line_id"),
        "credit_note_line",
        ["invoice_line_id"],
        unique=False,
        schema="erp",
    )
    op.create_table(
        "refund",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("credit_note_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=20), server_default="bank_transfer", nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "method IN ('bank_transfer', 'card', 'cash', 'cheque', 'direct_debit')",
            name=op.f("ck_refund_method"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_refund_amount_positive")),
        sa.ForeignKeyConstraint(
            ["credit_note_id"],
            ["erp.credit_note.id"],
            name=op.f("fk_refund_credit_note_id_credit_note"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_refund_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund")),
        sa.UniqueConstraint("number", name=op.f("uq_refund_number")),
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_refund_credit_note_id"),
        "refund",
        ["credit_note_id"],
        unique=False,
        schema="erp",
    )
    op.create_index(
        op.f("ix_erp_refund_customer_id"), "refund", ["customer_id"], unique=False, schema="erp"
    )
    op.create_index(
        op.f("ix_erp_refund_paid_at"), "refund", ["paid_at"], unique=False, schema="erp"
    )
    _invoice_statuses(STATUSES)
    op.execute(f"CREATE OR REPLACE VIEW bi.invoices_aging AS {INVOICES_AGING}")
    op.execute(
        "COMMENT ON COLUMN bi.invoices_aging.amount_credited IS "
        "'Sum of the credit notes issued against the invoice.'"
    )


def downgrade() -> None:
    first = importlib.import_module("migrations.versions.0002_bi_views").VIEWS["invoices_aging"]
    previous = importlib.import_module("migrations.versions.0006_bi_read_rules").VIEWS
    op.execute("DROP VIEW bi.invoices_aging")
    op.execute(f"CREATE VIEW bi.invoices_aging AS {previous['invoices_aging']}")
    op.execute(f"COMMENT ON VIEW bi.invoices_aging IS {_literal(first[0])}")
    for column, comment in first[2].items():
        op.execute(f"COMMENT ON COLUMN bi.invoices_aging.{column} IS {_literal(comment)}")
    # Credited invoices have no status before this revision: they read as paid.
    op.execute("UPDATE erp.invoice SET status = 'paid' WHERE status = 'credited'")
    _invoice_statuses(PREVIOUS_STATUSES)
    op.drop_index(op.f("ix_erp_refund_paid_at"), table_name="refund", schema="erp")
    op.drop_index(op.f("ix_erp_refund_customer_id"), table_name="refund", schema="erp")
    op.drop_index(op.f("ix_erp_refund_credit_note_id"), table_name="refund", schema="erp")
    op.drop_table("refund", schema="erp")
    op.drop_index(
        op.f("ix_erp_credit_note_line_invoice_line_id"), table_name="credit_note_line", schema="erp"
    )
    op.drop_index(
        op.f("ix_erp_credit_note_line_credit_note_id"), table_name="credit_note_line", schema="erp"
    )
    op.drop_table("credit_note_line", schema="erp")
    op.drop_index(
        op.f("ix_erp_sales_return_line_sales_return_id"),
        table_name="sales_return_line",
        schema="erp",
    )
    op.drop_index(
        op.f("ix_erp_sales_return_line_sales_order_line_id"),
        table_name="sales_return_line",
        schema="erp",
    )
    op.drop_table("sales_return_line", schema="erp")
    op.drop_index(op.f("ix_erp_quote_line_stock_item_id"), table_name="quote_line", schema="erp")
    op.drop_index(op.f("ix_erp_quote_line_quote_id"), table_name="quote_line", schema="erp")
    op.drop_table("quote_line", schema="erp")
    op.drop_index(
        op.f("ix_erp_credit_note_sales_return_id"), table_name="credit_note", schema="erp"
    )
    op.drop_index(op.f("ix_erp_credit_note_invoice_id"), table_name="credit_note", schema="erp")
    op.drop_index(op.f("ix_erp_credit_note_customer_id"), table_name="credit_note", schema="erp")
    op.drop_index(
        "ix_credit_note_number_trgm",
        table_name="credit_note",
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.drop_index("ix_credit_note_customer_issued", table_name="credit_note", schema="erp")
    op.drop_table("credit_note", schema="erp")
    op.drop_index(op.f("ix_erp_sales_return_warehouse_id"), table_name="sales_return", schema="erp")
    op.drop_index(
        op.f("ix_erp_sales_return_sales_order_id"), table_name="sales_return", schema="erp"
    )
    op.drop_index(op.f("ix_erp_sales_return_received_at"), table_name="sales_return", schema="erp")
    op.drop_index(op.f("ix_erp_sales_return_customer_id"), table_name="sales_return", schema="erp")
    op.drop_table("sales_return", schema="erp")
    op.drop_index(
        "ix_quote_number_trgm",
        table_name="quote",
        schema="erp",
        postgresql_using="gin",
        postgresql_ops={"number": "gin_trgm_ops"},
    )
    op.drop_index("ix_quote_customer_created", table_name="quote", schema="erp")
    op.drop_index(op.f("ix_erp_quote_warehouse_id"), table_name="quote", schema="erp")
    op.drop_index(op.f("ix_erp_quote_sales_rep_id"), table_name="quote", schema="erp")
    op.drop_index(op.f("ix_erp_quote_sales_order_id"), table_name="quote", schema="erp")
    op.drop_index(op.f("ix_erp_quote_customer_id"), table_name="quote", schema="erp")
    op.drop_table("quote", schema="erp")


def _invoice_statuses(statuses: str) -> None:
    op.drop_constraint(op.f("ck_invoice_status"), "invoice", schema="erp", type_="check")
    op.create_check_constraint(
        op.f("ck_invoice_status"), "invoice", f"status IN ({statuses})", schema="erp"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
