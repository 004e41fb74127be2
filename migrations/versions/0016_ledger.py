"""The books: chart of accounts, journals, balanced immutable entries, closed periods,
exchange rates; stock carries its value at cost.

Revision ID: 0016_ledger
Revises: 0015_import_jobs
Create Date: 2026-12-06 13:55:50.609634+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from domain.finance import chart

revision: str = "0016_ledger"
down_revision: str | None = "0015_import_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The database keeps the promises of a ledger itself, whatever code writes to it: an
# entry's debits equal its credits when the transaction commits (deferred, so an entry's
# lines may be inserted one by one), no line is dated in a closed month (checked after the
# insert has its table lock, so a close that committed meanwhile is seen), and nothing
# posted is ever changed or deleted.
IMMUTABLE_AND_BALANCED = (
    """
    CREATE FUNCTION finance.entry_balances() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        debits numeric;
        credits numeric;
        lines integer;
    BEGIN
        SELECT coalesce(sum(debit), 0), coalesce(sum(credit), 0), count(*)
          INTO debits, credits, lines
          FROM finance.journal_line WHERE entry_id = NEW.entry_id;
        IF debits <> credits OR lines < 2 THEN
            RAISE EXCEPTION 'journal entry % does not balance: debits %, credits %',
                NEW.entry_id, debits, credits
                USING ERRCODE = 'check_violation', CONSTRAINT = 'entry_balances';
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE CONSTRAINT TRIGGER entry_balances AFTER INSERT ON finance.journal_line
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finance.entry_balances()
    """,
    """
    CREATE FUNCTION finance.refuse_closed_period() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        last_closed date;
        earliest date;
    BEGIN
        SELECT max(month) INTO last_closed FROM finance.closed_period;
        IF last_closed IS NOT NULL THEN
            SELECT min(entry_date) INTO earliest FROM added;
            IF earliest < last_closed + interval '1 month' THEN
                RAISE EXCEPTION 'a line dated % falls in a closed month (closed through %)',
                    earliest, to_char(last_closed, 'YYYY-MM')
                    USING ERRCODE = 'check_violation', CONSTRAINT = 'period_closed';
            END IF;
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER period_open AFTER INSERT ON finance.journal_line
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION finance.refuse_closed_period()
    """,
    """
    CREATE FUNCTION finance.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: post a reversal entry instead', TG_TABLE_NAME
            USING ERRCODE = 'restrict_violation';
    END $$
    """,
    """
    CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON finance.journal_entry
    FOR EACH ROW EXECUTE FUNCTION finance.refuse_change()
    """,
    """
    CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON finance.journal_line
    FOR EACH ROW EXECUTE FUNCTION finance.refuse_change()
    """,
)


def upgrade() -> None:
    op.execute("CREATE SCHEMA IF NOT EXISTS finance")
    op.create_table(
        "account",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("purpose", sa.String(length=30), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "type IN ('asset', 'liability', 'equity', 'income', 'expense')",
            name=op.f("ck_account_type"),
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_account_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["finance.account.id"],
            name=op.f("fk_account_parent_id_account"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("code", name=op.f("uq_account_code")),
        sa.UniqueConstraint("purpose", name=op.f("uq_account_purpose")),
        schema="finance",
    )
    for column in ("code", "name"):
        op.create_index(
            f"ix_account_{column}_trgm",
            "account",
            [column],
            unique=False,
            schema="finance",
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )
    op.create_index(
        op.f("ix_finance_account_parent_id"),
        "account",
        ["parent_id"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "exchange_rate",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("valid_on", sa.Date(), nullable=False),
        sa.Column("rate", sa.Numeric(precision=18, scale=8), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("rate > 0", name=op.f("ck_exchange_rate_rate_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rate")),
        sa.UniqueConstraint("currency", "valid_on", name="uq_exchange_rate_currency_day"),
        schema="finance",
    )
    op.create_table(
        "journal",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal")),
        sa.UniqueConstraint("code", name=op.f("uq_journal_code")),
        schema="finance",
    )
    op.create_table(
        "closed_period",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column(
            "closed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("closed_by_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "extract(day FROM month) = 1", name=op.f("ck_closed_period_first_of_month")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_closed_period_closed_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_period")),
        sa.UniqueConstraint("month", name=op.f("uq_closed_period_month")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_closed_period_closed_by_id"),
        "closed_period",
        ["closed_by_id"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "journal_entry",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("journal_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("document_date", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("event", sa.String(length=40), nullable=True),
        sa.Column("source_type", sa.String(length=30), nullable=True),
        sa.Column("source_id", sa.BigInteger(), nullable=True),
        sa.Column("reverses_id", sa.BigInteger(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)",
            name=op.f("ck_journal_entry_reversal_refers"),
        ),
        sa.CheckConstraint(
            "kind IN ('posting', 'manual', 'reversal', 'closing', 'revaluation')",
            name=op.f("ck_journal_entry_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_journal_entry_created_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["journal_id"],
            ["finance.journal.id"],
            name=op.f("fk_journal_entry_journal_id_journal"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["finance.journal_entry.id"],
            name=op.f("fk_journal_entry_reverses_id_journal_entry"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entry")),
        sa.UniqueConstraint("number", name=op.f("uq_journal_entry_number")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_journal_entry_created_by_id"),
        "journal_entry",
        ["created_by_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_journal_entry_entry_date"),
        "journal_entry",
        ["entry_date"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_journal_entry_journal_id"),
        "journal_entry",
        ["journal_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_journal_entry_reverses_id"),
        "journal_entry",
        ["reverses_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        "ix_journal_entry_source",
        "journal_entry",
        ["source_type", "source_id"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "account_month_total",
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("debit", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("credit", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["finance.account.id"],
            name=op.f("fk_account_month_total_account_id_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["month"],
            ["finance.closed_period.month"],
            name=op.f("fk_account_month_total_month_closed_period"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", "month", name=op.f("pk_account_month_total")),
        schema="finance",
    )
    op.create_index(
        "ix_account_month_total_month",
        "account_month_total",
        ["month"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "journal_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column(
            "debit", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.Column(
            "credit", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount_currency", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("supplier_id", sa.BigInteger(), nullable=True),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(debit = 0) <> (credit = 0)", name=op.f("ck_journal_line_debit_or_credit")
        ),
        sa.CheckConstraint(
            "debit >= 0 AND credit >= 0", name=op.f("ck_journal_line_amounts_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["finance.account.id"],
            name=op.f("fk_journal_line_account_id_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_journal_line_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["finance.journal_entry.id"],
            name=op.f("fk_journal_line_entry_id_journal_entry"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["erp.invoice.id"],
            name=op.f("fk_journal_line_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["erp.supplier.id"],
            name=op.f("fk_journal_line_supplier_id_supplier"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_line")),
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_journal_line_entry_id"),
        "journal_line",
        ["entry_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_journal_line_invoice_id"),
        "journal_line",
        ["invoice_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        op.f("ix_finance_journal_line_supplier_id"),
        "journal_line",
        ["supplier_id"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        "ix_journal_line_account_date",
        "journal_line",
        ["account_id", "entry_date"],
        unique=False,
        schema="finance",
    )
    op.create_index(
        "ix_journal_line_entry_date_brin",
        "journal_line",
        ["entry_date"],
        unique=False,
        schema="finance",
        postgresql_using="brin",
    )
    op.create_index(
        "ix_journal_line_customer_date",
        "journal_line",
        ["customer_id", "entry_date"],
        unique=False,
        schema="finance",
    )
    op.create_table(
        "open_receivable",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("line_id", sa.BigInteger(), nullable=True),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_open_receivable_amount_open")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["crm.customer.id"],
            name=op.f("fk_open_receivable_customer_id_customer"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["erp.invoice.id"],
            name=op.f("fk_open_receivable_invoice_id_invoice"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["finance.journal_line.id"],
            name=op.f("fk_open_receivable_line_id_journal_line"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["month"],
            ["finance.closed_period.month"],
            name=op.f("fk_open_receivable_month_closed_period"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open_receivable")),
        schema="finance",
    )
    for column in ("customer_id", "invoice_id", "line_id", "month"):
        op.create_index(
            op.f(f"ix_finance_open_receivable_{column}"),
            "open_receivable",
            [column],
            unique=False,
            schema="finance",
        )
    op.add_column(
        "stock_level",
        sa.Column(
            "stock_value",
            sa.Numeric(precision=14, scale=2),
            server_default=sa.text("0"),
            nullable=False,
        ),
        schema="erp",
    )
    op.add_column(
        "stock_movement",
        sa.Column(
            "value", sa.Numeric(precision=14, scale=2), server_default=sa.text("0"), nullable=False
        ),
        schema="erp",
    )
    # Stock on hand before the books existed is valued at the item's standard cost.
    op.execute(
        "UPDATE erp.stock_level l SET stock_value = round(l.on_hand * i.unit_cost, 2) "
        "FROM erp.stock_item i WHERE i.id = l.stock_item_id AND l.on_hand > 0"
    )
    op.create_check_constraint(
        op.f("ck_stock_level_stock_value_non_negative"),
        "stock_level",
        "stock_value >= 0",
        schema="erp",
    )
    op.create_check_constraint(
        op.f("ck_stock_level_no_value_without_stock"),
        "stock_level",
        "on_hand > 0 OR stock_value = 0",
        schema="erp",
    )
    for statement in IMMUTABLE_AND_BALANCED:
        op.execute(statement)
    for statement in chart.DEFAULT_CHART:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP FUNCTION finance.entry_balances() CASCADE")
    op.execute("DROP FUNCTION finance.refuse_change() CASCADE")
    op.execute("DROP FUNCTION finance.refuse_closed_period() CASCADE")
    op.drop_table("open_receivable", schema="finance")
    op.drop_constraint("ck_stock_level_no_value_without_stock", "stock_level", schema="erp")
    op.drop_constraint("ck_stock_level_stock_value_non_negative", "stock_level", schema="erp")
    op.drop_column("stock_movement", "value", schema="erp")
    op.drop_column("stock_level", "stock_value", schema="erp")
    op.drop_index("ix_journal_line_customer_date", table_name="journal_line", schema="finance")
    op.drop_index("ix_journal_line_account_date", table_name="journal_line", schema="finance")
    op.drop_index(
        op.f("ix_finance_journal_line_supplier_id"), table_name="journal_line", schema="finance"
    )
    op.drop_index(
        op.f("ix_finance_journal_line_invoice_id"), table_name="journal_line", schema="finance"
    )
    op.drop_index(
        op.f("ix_finance_journal_line_entry_id"), table_name="journal_line", schema="finance"
    )
    op.drop_table("journal_line", schema="finance")
    op.drop_index(
        "ix_account_month_total_month", table_name="account_month_total", schema="finance"
    )
    op.drop_table("account_month_total", schema="finance")
    op.drop_index("ix_journal_entry_source", table_name="journal_entry", schema="finance")
    op.drop_index(
        op.f("ix_finance_journal_entry_reverses_id"), table_name="journal_entry", schema="finance"
    )
    op.drop_index(
        op.f("ix_finance_journal_entry_journal_id"), table_name="journal_entry", schema="finance"
    )
    op.drop_index(
        op.f("ix_finance_journal_entry_entry_date"), table_name="journal_entry", schema="finance"
    )
    op.drop_index(
        op.f("ix_finance_journal_entry_created_by_id"), table_name="journal_entry", schema="finance"
    )
    op.drop_table("journal_entry", schema="finance")
    op.drop_index(
        op.f("ix_finance_closed_period_closed_by_id"), table_name="closed_period", schema="finance"
    )
    op.drop_table("closed_period", schema="finance")
    op.drop_table("journal", schema="finance")
    op.drop_table("exchange_rate", schema="finance")
    op.drop_index(op.f("ix_finance_account_parent_id"), table_name="account", schema="finance")
    op.drop_table("account", schema="finance")
    op.execute("DROP SCHEMA finance")
