"""BI views of the books: every ledger line, monthly balances per account, open receivables.

Revision ID: 0017_ledger_bi_views
Revises: 0016_ledger
Create Date: 2026-12-06 14:30:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_ledger_bi_views"
down_revision: str | None = "0016_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GL_ENTRIES = """
SELECT l.id AS line_id, l.line_no, e.id AS entry_id, e.number AS entry_number,
       j.code AS journal, e.kind, l.entry_date, e.document_date, e.description, e.event,
       e.source_type, e.source_id, r.number AS reverses_entry_number,
       a.code AS account_code, a.name AS account_name, a.type AS account_type,
       l.debit, l.credit, l.debit - l.credit AS net, l.currency, l.amount_currency,
       l.customer_id, c.code AS customer_code, l.supplier_id, s.code AS supplier_code,
       l.invoice_id, i.number AS invoice_number
FROM finance.journal_line l
JOIN finance.journal_entry e ON e.id = l.entry_id
JOIN finance.journal j ON j.id = e.journal_id
JOIN finance.account a ON a.id = l.account_id
LEFT JOIN finance.journal_entry r ON r.id = e.reverses_id
LEFT JOIN crm.customer c ON c.id = l.customer_id
LEFT JOIN erp.supplier s ON s.id = l.supplier_id
LEFT JOIN erp.invoice i ON i.id = l.invoice_id
"""

# Closed months come from the totals frozen at their close; open months are summed.
TRIAL_BALANCE_MONTHLY = """
WITH months AS (
    SELECT account_id, month, debit, credit FROM finance.account_month_total
    UNION ALL
    SELECT account_id, date_trunc('month', entry_date)::date, sum(debit), sum(credit)
    FROM finance.journal_line
    WHERE entry_date >= coalesce(
        (SELECT (max(month) + interval '1 month')::date FROM finance.closed_period),
        '-infinity'::date)
    GROUP BY 1, 2
)
SELECT m.month, (m.month + interval '1 month' - interval '1 day')::date AS month_end,
       p.month IS NOT NULL AS is_closed, a.code AS account_code, a.name AS account_name,
       a.type AS account_type, m.debit, m.credit, m.debit - m.credit AS net_change,
       sum(m.debit - m.credit) OVER (PARTITION BY m.account_id ORDER BY m.month)
           AS closing_balance
FROM months m
JOIN finance.account a ON a.id = m.account_id
LEFT JOIN finance.closed_period p ON p.month = m.month
"""

RECEIVABLES_AGING = """
SELECT l.invoice_id, i.number AS invoice_number, l.customer_id, c.code AS customer_code,
       c.name AS customer_name, i.currency, i.issued_on, i.due_on,
       sum(l.debit - l.credit) AS open_amount, sum(l.amount_currency) AS open_amount_currency,
       greatest(current_date - i.due_on, 0) AS days_overdue,
       CASE
           WHEN current_date <= i.due_on THEN 'current'
           WHEN current_date - i.due_on <= 30 THEN '1-30'
           WHEN current_date - i.due_on <= 60 THEN '31-60'
           WHEN current_date - i.due_on <= 90 THEN '61-90'
           ELSE '90+'
       END AS aging_bucket
FROM finance.journal_line l
JOIN finance.account a ON a.id = l.account_id AND a.purpose = 'receivable'
JOIN erp.invoice i ON i.id = l.invoice_id
JOIN crm.customer c ON c.id = l.customer_id
GROUP BY l.invoice_id, i.number, l.customer_id, c.code, c.name, i.currency, i.issued_on, i.due_on
HAVING sum(l.debit - l.credit) <> 0
"""

# name -> (what one row is, SQL, comments of columns whose meaning is not obvious)
VIEWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "gl_entries": (
        "One row per line of the general ledger, with its entry, account and what it concerns.",
        GL_ENTRIES,
        {
            "net": "Debit minus credit, in EUR.",
            "amount_currency": "The amount in the document's currency, positive for a debit.",
            "entry_date": "The date the entry counts on (the first open day when the "
            "document's month was closed).",
        },
    ),
    "trial_balance_monthly": (
        "One row per account and month with postings: the month's debits and credits and "
        "the account's balance at the month's end (EUR).",
        TRIAL_BALANCE_MONTHLY,
        {
            "net_change": "Debits minus credits dated in the month.",
            "closing_balance": "Debits minus credits up to the month's end.",
            "is_closed": "The month has been closed: its figures are final.",
        },
    ),
    "receivables_aging": (
        "One row per invoice the receivable account still holds open, from the ledger, "
        "bucketed by days past due as of today.",
        RECEIVABLES_AGING,
        {
            "open_amount": "Open on the receivable account, in EUR.",
            "open_amount_currency": "The same in the invoice's currency.",
            "aging_bucket": "current, 1-30, 31-60, 61-90 or 90+ (days past due).",
        },
    ),
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    for name, (description, sql, columns) in VIEWS.items():
        op.execute(f"CREATE VIEW bi.{name} AS {sql}")
        op.execute(f"COMMENT ON VIEW bi.{name} IS {_literal(description)}")
        for column, comment in columns.items():
            op.execute(f"COMMENT ON COLUMN bi.{name}.{column} IS {_literal(comment)}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW bi.{name}")
