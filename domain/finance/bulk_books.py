"""Posting the books of documents written in bulk (the demo company), in SQL, all at once.

The posting rules (`domain.finance.posting_rules`) post one event at a time, inside its
transaction. Documents loaded by the million never went through those events, so this
writes, from the documents as stored, the entries the rules would have written — the same
journals, dates, descriptions, sources, accounts, amounts and line order (a test posts a
company through the rules, then through this, and compares) — set-based: every rule is one
`INSERT … SELECT` into a plan, and the plan is written to the ledger in date order, so the
lines lie in the table as they would have arrived (which the block range index relies on).

Only an empty ledger is posted this way, in the company currency (documents in another
currency are left out and counted), and before any month is closed. The database's own
checks (the balance trigger, append-only) are skipped while writing and the balance of
every entry is verified with one query instead.
"""

from dataclasses import dataclass

import asyncpg

from domain.finance.rates import COMPANY_CURRENCY

_PLAN = """
CREATE TEMP TABLE plan_entry (
  key bigserial PRIMARY KEY, id bigint, journal text, kind text, entry_date date,
  description text, event text, source_type text, source_id bigint, reverses_key bigint,
  origin bigint, origin_at timestamptz
) ON COMMIT DROP;
CREATE TEMP TABLE plan_line (
  key bigint, position int, purpose text, debit numeric(14,2), credit numeric(14,2),
  currency text, amount_currency numeric(14,2), customer_id bigint, supplier_id bigint,
  invoice_id bigint, supplier_bill_id bigint
) ON COMMIT DROP
"""


def _voided(table: str, source_type: str, recorded: str, voided: str) -> str:
    """Documents voided: the entry their recording posted, mirrored on the day voided."""
    return f"""
WITH e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, event, source_type, source_id, reverses_key)
  SELECT r.journal, 'reversal', (d.voided_at AT TIME ZONE 'UTC')::date, '{voided}',
         '{source_type}', d.id, r.key
  FROM {table} d
  JOIN plan_entry r ON r.source_type = '{source_type}' AND r.source_id = d.id
   AND r.event = '{recorded}'
  WHERE d.status = 'void' AND d.voided_at IS NOT NULL
  RETURNING key, reverses_key)
INSERT INTO plan_line
SELECT e.key, l.position, l.purpose, l.credit, l.debit, l.currency, -l.amount_currency,
       l.customer_id, l.supplier_id, l.invoice_id, l.supplier_bill_id
FROM e JOIN plan_line l ON l.key = e.reverses_key"""


# Each rule: (what it posts, one statement filling the plan). `$1` is the company currency.
_RULES: tuple[tuple[str, str], ...] = (
    (
        "invoices issued",
        """
WITH e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event, source_type, source_id)
  SELECT 'SAL', 'posting', i.issued_on, 'Invoice ' || i.number, 'invoice.issued', 'invoice', i.id
  FROM erp.invoice i WHERE i.currency = $1
  RETURNING key, source_id)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, v.debit, v.credit, $1, v.debit - v.credit,
       v.customer_id, NULL, v.invoice_id
FROM e JOIN erp.invoice i ON i.id = e.source_id
CROSS JOIN LATERAL (VALUES
  (1, 'receivable', i.total, 0::numeric, i.customer_id, i.id),
  (2, 'revenue', 0, i.subtotal, i.customer_id, NULL),
  (3, 'output_vat', 0, i.tax_total, NULL, NULL)
) AS v (position, purpose, debit, credit, customer_id, invoice_id)""",
    ),
    (
        "payments received",
        """
WITH e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event, source_type, source_id)
  SELECT 'BNK', 'posting', (p.received_at AT TIME ZONE 'UTC')::date, 'Payment ' || p.number,
         'payment.recorded', 'payment', p.id
  FROM erp.payment p WHERE p.currency = $1
  RETURNING key, source_id)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, v.debit, v.credit, $1, v.debit - v.credit,
       v.customer_id, NULL, v.invoice_id
FROM e JOIN erp.payment p ON p.id = e.source_id
CROSS JOIN LATERAL (VALUES
  (1, 'bank', p.amount, 0::numeric, NULL::bigint, NULL::bigint),
  (2, 'receivable', 0, p.amount, p.customer_id, p.invoice_id)
) AS v (position, purpose, debit, credit, customer_id, invoice_id)""",
    ),
    (
        "goods shipped and returned",
        """
WITH moved AS (
  SELECT d.id, d.number, m.kind, sum(m.value) AS value,
         (min(m.occurred_at) AT TIME ZONE 'UTC')::date AS day
  FROM erp.stock_movement m JOIN erp.delivery d ON d.id = m.delivery_id
  WHERE m.kind IN ('shipment', 'return')
  GROUP BY d.id, d.number, m.kind),
e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event, source_type, source_id)
  SELECT 'STK', 'posting', day,
         CASE kind WHEN 'shipment' THEN 'Shipped: ' ELSE 'Returned: ' END || number,
         CASE kind WHEN 'shipment' THEN 'delivery.created' ELSE 'delivery.failed' END,
         'delivery', id
  FROM moved
  RETURNING key, source_id, event)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, greatest(v.amount, 0), greatest(-v.amount, 0), $1,
       v.amount, NULL, NULL, NULL
FROM e JOIN moved ON moved.id = e.source_id
  AND moved.kind = CASE e.event WHEN 'delivery.created' THEN 'shipment' ELSE 'return' END
CROSS JOIN LATERAL (VALUES (1, 'inventory', moved.value), (2, 'cost_of_goods_sold', -moved.value))
  AS v (position, purpose, amount)""",
    ),
    (
        "goods received",
        """
WITH moved AS (
  SELECT o.id, o.number, o.supplier_id, m.occurred_at, sum(m.value) AS value
  FROM erp.stock_movement m JOIN erp.purchase_order o ON o.id = m.purchase_order_id
  WHERE m.kind = 'receipt'
  GROUP BY o.id, o.number, o.supplier_id, m.occurred_at),
e AS (
  INSERT INTO plan_entry (
    journal, kind, entry_date, description, event, source_type, source_id, origin_at)
  SELECT 'STK', 'posting', (occurred_at AT TIME ZONE 'UTC')::date, 'Received on ' || number,
         'purchase_order.received', 'purchase_order', id, occurred_at
  FROM moved
  RETURNING key, source_id, origin_at)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, greatest(v.amount, 0), greatest(-v.amount, 0), $1,
       v.amount, NULL, v.supplier_id, NULL
FROM e JOIN moved ON moved.id = e.source_id AND moved.occurred_at = e.origin_at
CROSS JOIN LATERAL (VALUES
  (1, 'inventory', moved.value, NULL::bigint),
  (2, 'goods_received', -moved.value, moved.supplier_id)
) AS v (position, purpose, amount, supplier_id)""",
    ),
    (
        "stock adjusted",
        """
WITH e AS (
  INSERT INTO plan_entry (
    journal, kind, entry_date, description, event, source_type, source_id, origin)
  SELECT 'STK', 'posting', (m.occurred_at AT TIME ZONE 'UTC')::date,
         'Stock adjustment: ' || coalesce(m.reason, ''), 'stock.adjusted', 'stock_item',
         m.stock_item_id, m.id
  FROM erp.stock_movement m
  WHERE m.kind = 'adjustment' AND lower(coalesce(m.reason, '')) <> 'opening balance'
  RETURNING key, origin)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, greatest(v.amount, 0), greatest(-v.amount, 0), $1,
       v.amount, NULL, NULL, NULL
FROM e JOIN erp.stock_movement m ON m.id = e.origin
CROSS JOIN LATERAL (VALUES
  (1, 'inventory', m.value),
  (2, CASE WHEN m.value > 0 THEN 'stock_gain' ELSE 'shrinkage' END, -m.value)
) AS v (position, purpose, amount)""",
    ),
    (
        "opening stock",
        """
WITH opening AS (
  SELECT sum(value) AS value, (min(occurred_at) AT TIME ZONE 'UTC')::date AS day
  FROM erp.stock_movement
  WHERE kind = 'adjustment' AND lower(coalesce(reason, '')) = 'opening balance'
  HAVING sum(value) <> 0),
e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event)
  SELECT 'STK', 'posting', day, 'Opening stock at cost', 'stock.opening_balance' FROM opening
  RETURNING key)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, greatest(v.amount, 0), greatest(-v.amount, 0), $1,
       v.amount, NULL, NULL, NULL
FROM e CROSS JOIN opening
CROSS JOIN LATERAL (VALUES (1, 'inventory', opening.value), (2, 'opening_balances', -opening.value))
  AS v (position, purpose, amount)""",
    ),
    (
        "credit notes",
        """
WITH e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event, source_type, source_id)
  SELECT 'SAL', 'posting', n.issued_on, 'Credit note ' || n.number, 'credit_note.issued',
         'credit_note', n.id
  FROM erp.credit_note n WHERE n.currency = $1
  RETURNING key, source_id)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, v.debit, v.credit, $1, v.debit - v.credit,
       v.customer_id, NULL, v.invoice_id
FROM e JOIN erp.credit_note n ON n.id = e.source_id
CROSS JOIN LATERAL (VALUES
  (1, 'sales_returns', n.subtotal, 0::numeric, n.customer_id, NULL::bigint),
  (2, 'output_vat', n.tax_total, 0, NULL, NULL),
  (3, 'receivable', 0, n.total - n.refund_amount, n.customer_id, n.invoice_id),
  (4, 'refunds_due', 0, n.refund_amount, n.customer_id, NULL)
) AS v (position, purpose, debit, credit, customer_id, invoice_id)""",
    ),
    (
        "goods customers returned",
        """
WITH e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event, source_type, source_id)
  SELECT 'STK', 'posting', (r.received_at AT TIME ZONE 'UTC')::date, 'Returned: ' || r.number,
         'sales_return.received', 'sales_return', r.id
  FROM erp.sales_return r
  RETURNING key, source_id)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, greatest(v.amount, 0), greatest(-v.amount, 0), $1,
       v.amount, NULL, NULL, NULL
FROM e JOIN erp.sales_return r ON r.id = e.source_id
CROSS JOIN LATERAL (
  VALUES (1, 'inventory', r.stock_value), (2, 'cost_of_goods_sold', -r.stock_value)
) AS v (position, purpose, amount)""",
    ),
    (
        "refunds paid",
        """
WITH e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event, source_type, source_id)
  SELECT 'BNK', 'posting', (r.paid_at AT TIME ZONE 'UTC')::date, 'Refund ' || r.number,
         'refund.recorded', 'refund', r.id
  FROM erp.refund r WHERE r.currency = $1
  RETURNING key, source_id)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, greatest(v.amount, 0), greatest(-v.amount, 0), $1,
       v.amount, v.customer_id, NULL, NULL
FROM e JOIN erp.refund r ON r.id = e.source_id
CROSS JOIN LATERAL (VALUES
  (1, 'refunds_due', r.amount, r.customer_id),
  (2, 'bank', -r.amount, NULL::bigint)
) AS v (position, purpose, amount, customer_id)""",
    ),
    (
        "supplier bills",
        """
WITH at_cost AS (
  SELECT supplier_bill_id, sum(quantity * unit_cost) AS value
  FROM finance.supplier_bill_line GROUP BY supplier_bill_id),
e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event, source_type, source_id)
  SELECT 'PUR', 'posting', b.bill_date, 'Bill ' || b.number || ' for ' || o.number,
         'supplier_bill.recorded', 'supplier_bill', b.id
  FROM finance.supplier_bill b JOIN erp.purchase_order o ON o.id = b.purchase_order_id
  WHERE b.currency = $1
  RETURNING key, source_id)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, greatest(v.amount, 0), greatest(-v.amount, 0), $1,
       v.amount, NULL, v.supplier_id, NULL, v.bill_id
FROM e JOIN finance.supplier_bill b ON b.id = e.source_id
JOIN at_cost ON at_cost.supplier_bill_id = b.id
CROSS JOIN LATERAL (VALUES
  (1, 'goods_received', at_cost.value, b.supplier_id, NULL::bigint),
  (2, 'price_differences', b.total - b.tax - at_cost.value, b.supplier_id, NULL),
  (3, 'input_vat', b.tax, NULL, NULL),
  (4, 'payable', -b.total, b.supplier_id, b.id)
) AS v (position, purpose, amount, supplier_id, bill_id)""",
    ),
    (
        "supplier payments",
        """
WITH e AS (
  INSERT INTO plan_entry (journal, kind, entry_date, description, event, source_type, source_id)
  SELECT 'BNK', 'posting', (p.paid_at AT TIME ZONE 'UTC')::date,
         'Payment ' || p.number || ' of bill ' || b.number, 'supplier_payment.recorded',
         'supplier_payment', p.id
  FROM finance.supplier_payment p JOIN finance.supplier_bill b ON b.id = p.supplier_bill_id
  WHERE p.currency = $1
  RETURNING key, source_id)
INSERT INTO plan_line
SELECT e.key, v.position, v.purpose, greatest(v.amount, 0), greatest(-v.amount, 0), $1,
       v.amount, NULL, v.supplier_id, NULL, v.bill_id
FROM e JOIN finance.supplier_payment p ON p.id = e.source_id
CROSS JOIN LATERAL (VALUES
  (1, 'payable', p.amount, p.supplier_id, p.supplier_bill_id),
  (2, 'bank', -p.amount, NULL::bigint, NULL::bigint)
) AS v (position, purpose, amount, supplier_id, bill_id)""",
    ),
    ("invoices voided", _voided("erp.invoice", "invoice", "invoice.issued", "invoice.voided")),
    (
        "supplier bills voided",
        _voided(
            "finance.supplier_bill",
            "supplier_bill",
            "supplier_bill.recorded",
            "supplier_bill.voided",
        ),
    ),
)

_WRITE = """
DELETE FROM plan_entry p WHERE NOT EXISTS (
  SELECT 1 FROM plan_line l WHERE l.key = p.key AND (l.debit <> 0 OR l.credit <> 0));

WITH numbered AS (
  SELECT key, row_number() OVER (ORDER BY entry_date, key) AS n FROM plan_entry)
UPDATE plan_entry p SET id = numbered.n + $1 FROM numbered WHERE numbered.key = p.key;

INSERT INTO finance.journal_entry (
  id, number, journal_id, kind, entry_date, document_date, description, event, source_type,
  source_id, reverses_id)
SELECT p.id, j.code || '-' || lpad(p.id::text, 8, '0'), j.id, p.kind, p.entry_date,
       p.entry_date,
       coalesce(p.description, 'Reversal of ' || j.code || '-' || lpad(r.id::text, 8, '0')),
       p.event, p.source_type, p.source_id, r.id
FROM plan_entry p JOIN finance.journal j ON j.code = p.journal
LEFT JOIN plan_entry r ON r.key = p.reverses_key
ORDER BY p.id;

INSERT INTO finance.journal_line (
  entry_id, line_no, account_id, entry_date, debit, credit, currency, amount_currency,
  customer_id, supplier_id, invoice_id, supplier_bill_id)
SELECT p.id, row_number() OVER (PARTITION BY p.id ORDER BY l.position), a.id, p.entry_date,
       l.debit, l.credit, l.currency, l.amount_currency, l.customer_id, l.supplier_id,
       l.invoice_id, l.supplier_bill_id
FROM plan_line l JOIN plan_entry p ON p.key = l.key
JOIN finance.account a ON a.purpose = l.purpose
WHERE l.debit <> 0 OR l.credit <> 0
ORDER BY p.id, l.position
"""

_UNBALANCED = """
SELECT count(*) FROM (
  SELECT entry_id FROM finance.journal_line GROUP BY entry_id
  HAVING sum(debit) <> sum(credit) OR count(*) < 2) broken"""


# Documents that carry their own currency: those in another are left out.
_IN_A_CURRENCY = (
    "erp.invoice",
    "erp.payment",
    "erp.credit_note",
    "erp.refund",
    "finance.supplier_bill",
    "finance.supplier_payment",
)


@dataclass
class BooksReport:
    entries: int = 0
    lines: int = 0
    left_out: int = 0

    def __str__(self) -> str:
        skipped = (
            f"; {self.left_out:,} documents in other currencies left out" if self.left_out else ""
        )
        return f"posted {self.entries:,} journal entries with {self.lines:,} lines{skipped}"


async def post_all(connection: asyncpg.Connection) -> BooksReport:
    """Post every stored document into an empty ledger, as the posting rules would have."""
    if await connection.fetchval("SELECT EXISTS (SELECT 1 FROM finance.journal_entry)"):
        raise ValueError("the ledger already holds entries; bulk posting needs an empty one")
    if await connection.fetchval("SELECT EXISTS (SELECT 1 FROM finance.closed_period)"):
        raise ValueError("a month is closed; bulk posting needs open books")
    # The checks the triggers make row by row are made once, below, for the whole ledger.
    await connection.execute("SET LOCAL session_replication_role = replica")
    await connection.execute(_PLAN)
    for _, statement in _RULES:
        await connection.execute(statement, *([COMPANY_CURRENCY] if "$1" in statement else []))
    base = await connection.fetchval("SELECT coalesce(max(id), 0) FROM finance.journal_entry")
    for statement in _WRITE.split(";\n\n"):
        await connection.execute(statement, *([base] if "$1" in statement else []))
    await connection.execute(
        "SELECT setval(pg_get_serial_sequence('finance.journal_entry', 'id'), "
        "greatest((SELECT max(id) FROM finance.journal_entry), 1))"
    )
    await connection.execute("SET LOCAL session_replication_role = origin")
    if await connection.fetchval(_UNBALANCED):
        raise RuntimeError("bulk posting produced an entry that does not balance")
    return BooksReport(
        entries=await connection.fetchval("SELECT count(*) FROM finance.journal_entry"),
        lines=await connection.fetchval("SELECT count(*) FROM finance.journal_line"),
        left_out=await connection.fetchval(
            "SELECT "
            + " + ".join(
                f"(SELECT count(*) FROM {table} WHERE currency <> $1)" for table in _IN_A_CURRENCY
            ),
            COMPANY_CURRENCY,
        ),
    )
