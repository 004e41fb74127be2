"""Invoices carry what was paid and credited on them: `erp.invoice.amount_paid` and
`amount_credited`, the sums of the invoice's payments and credit notes, kept by the database.

Statement-level triggers on `erp.payment` and `erp.credit_note` add each statement's net
change per invoice (from its transition tables) to the invoices it touched, so one bulk
`COPY` of a million payments costs one `UPDATE`, and every writer (the services, imports,
the demo loader, SQL by hand) keeps the sums right. Concurrent payments on one invoice
serialise on the invoice's row, as the increments must. A guard refuses any other write
of the two columns. Existing invoices are filled from their payments and credit notes.

Amounts due, overdue and open then read the invoice's own row instead of summing its
payments for every invoice a filter looks at (`domain.erp.receivables`), and open invoices
get an index by due date (`ix_invoice_open_due`, partial on exactly `receivables.is_open`).
`bi.invoices_aging` reads the kept sums too (same columns, names, types and order, so
`CREATE OR REPLACE VIEW` keeps its grants and comments).

Revision ID: 0022_invoice_amounts
Revises: 0021_segments
Create Date: 2026-12-06 19:50:00.000000+00:00
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022_invoice_amounts"
down_revision: str | None = "0021_segments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INVOICES_AGING = """
SELECT i.id AS invoice_id, i.number AS invoice_number, i.status, i.customer_id,
       c.code AS customer_code, c.name AS customer_name, so.number AS sales_order_number,
       i.currency, i.issued_on, i.due_on, i.total, i.amount_paid::numeric AS amount_paid,
       CASE WHEN (i.status = 'void') THEN 0 ELSE greatest((i.total - i.amount_paid) - i.amount_credited, 0.00) END AS amount_due, late.days AS days_overdue,
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
       i.amount_credited::numeric AS amount_credited
FROM erp.invoice i
CROSS JOIN LATERAL (SELECT CASE WHEN (i.status != 'void' AND (i.total - i.amount_paid) - i.amount_credited > 0 AND i.due_on < CURRENT_DATE) THEN CURRENT_DATE - i.due_on ELSE 0 END AS days) late
JOIN crm.customer c ON c.id = i.customer_id
LEFT JOIN erp.sales_order so ON so.id = i.sales_order_id
WHERE i.status != 'void' AND (i.total - i.amount_paid) - i.amount_credited > 0
"""

# (table, invoice column it adds to, the source's amount column)
SOURCES = (("payment", "amount_paid", "amount"), ("credit_note", "amount_credited", "total"))


def _function(table: str, column: str, amount: str) -> str:
    # One function per source and event: a transition table exists only for the events
    # its trigger names, so INSERT, UPDATE and DELETE each sum what they can see.
    return f"""
CREATE FUNCTION erp.invoice_{column}_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE erp.invoice i SET {column} = i.{column} + d.delta
    FROM (SELECT invoice_id, sum({amount}) AS delta FROM added GROUP BY invoice_id) d
    WHERE i.id = d.invoice_id;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE erp.invoice i SET {column} = i.{column} - d.delta
    FROM (SELECT invoice_id, sum({amount}) AS delta FROM removed GROUP BY invoice_id) d
    WHERE i.id = d.invoice_id;
  ELSE
    UPDATE erp.invoice i SET {column} = i.{column} + d.delta
    FROM (
      SELECT invoice_id, sum(delta) AS delta FROM (
        SELECT invoice_id, {amount} AS delta FROM added
        UNION ALL SELECT invoice_id, -{amount} FROM removed
      ) moved GROUP BY invoice_id
    ) d
    WHERE i.id = d.invoice_id AND d.delta <> 0;
  END IF;
  RETURN NULL;
END $$"""


GUARD = """
CREATE FUNCTION erp.invoice_amounts_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Only the triggers above (depth > 1: fired from a payment or credit note) change them.
  IF pg_trigger_depth() > 1 THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' AND NEW.amount_paid = 0 AND NEW.amount_credited = 0 THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'UPDATE' AND NEW.amount_paid = OLD.amount_paid
     AND NEW.amount_credited = OLD.amount_credited THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'invoice amount_paid and amount_credited are kept by the database: '
    'record a payment or a credit note instead'
    USING ERRCODE = 'check_violation';
END $$"""


def upgrade() -> None:
    for _, column, _ in SOURCES:
        op.add_column(
            "invoice",
            sa.Column(column, sa.Numeric(14, 2), server_default=sa.text("0"), nullable=False),
            schema="erp",
        )
    for table, column, amount in SOURCES:
        op.execute(
            f"UPDATE erp.invoice i SET {column} = s.amount FROM (SELECT invoice_id, "
            f"sum({amount}) AS amount FROM erp.{table} GROUP BY invoice_id) s "
            "WHERE s.invoice_id = i.id"
        )
        op.execute(_function(table, column, amount))
        for event, tables in (
            ("INSERT", "NEW TABLE AS added"),
            ("UPDATE", "OLD TABLE AS removed NEW TABLE AS added"),
            ("DELETE", "OLD TABLE AS removed"),
        ):
            op.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_invoice_amount AFTER {event} "
                f"ON erp.{table} REFERENCING {tables} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION erp.invoice_{column}_changed()"
            )
        # TRUNCATE has no transition table: nothing is left to add up.
        op.execute(
            f"CREATE FUNCTION erp.invoice_{column}_emptied() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN UPDATE erp.invoice SET {column} = 0 WHERE {column} <> 0; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_truncate_invoice_amount AFTER TRUNCATE ON erp.{table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION erp.invoice_{column}_emptied()"
        )
    op.execute(GUARD)
    op.execute(
        "CREATE TRIGGER invoice_amounts_guard BEFORE INSERT OR UPDATE OF amount_paid, "
        "amount_credited ON erp.invoice FOR EACH ROW "
        "EXECUTE FUNCTION erp.invoice_amounts_guard()"
    )
    op.create_index(
        "ix_invoice_open_due",
        "invoice",
        ["due_on", "customer_id"],
        schema="erp",
        postgresql_where=sa.text("status <> 'void' AND total - amount_paid - amount_credited > 0"),
    )
    op.execute(f"CREATE OR REPLACE VIEW bi.invoices_aging AS {INVOICES_AGING}")


def downgrade() -> None:
    previous = importlib.import_module("migrations.versions.0019_credit_notes_quotes")
    op.execute(f"CREATE OR REPLACE VIEW bi.invoices_aging AS {previous.INVOICES_AGING}")
    op.drop_index("ix_invoice_open_due", "invoice", schema="erp")
    op.execute("DROP TRIGGER invoice_amounts_guard ON erp.invoice")
    op.execute("DROP FUNCTION erp.invoice_amounts_guard()")
    for table, column, _ in SOURCES:
        for event in ("insert", "update", "delete", "truncate"):
            op.execute(f"DROP TRIGGER {table}_{event}_invoice_amount ON erp.{table}")
        op.execute(f"DROP FUNCTION erp.invoice_{column}_changed()")
        op.execute(f"DROP FUNCTION erp.invoice_{column}_emptied()")
        op.drop_column("invoice", column, schema="erp")
