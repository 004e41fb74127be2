"""Customer metrics: revenue, order counts, balances and RFM segments, computed in SQL.

Revenue counts placed, confirmed and fulfilled orders, net of tax (drafts are not sales
yet; cancelled orders never were). Open and overdue balances are the receivables rules
(`domain.erp.receivables`), rendered into this text SQL. RFM scores are quintiles (5 =
best) over customers with at least one such order: recency by last order, frequency by
order count, monetary by revenue. The one-customer variant scores against the stored
population, so an event does not rescore everyone; the nightly full pass re-bases all
quintiles.

`recompute_all(as_of=…)` computes the figures as they stood at the start of that day (UTC):
orders placed before it, invoices, payments and credit notes as they were then
(`receivables.due_before`), recency counted to that day, customers created before it.

A row is only ever replaced by figures computed at the same time or later (`computed_at`
is the start of the computing transaction, and everything committed before it is
included): a long full pass that started before an order cannot overwrite the fresher
figures a per-customer recompute wrote after it.
"""

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, literal_column, text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.analytics.daily import SALES_STATUSES
from domain.analytics.rfm import segment_case_sql
from domain.core.literal_sql import render
from domain.erp import receivables

# The receivables rules on invoice `i` (`domain.erp.receivables`): as they are now, and as
# they stood at the instant `:until` (the start of the as-of day).
_INVOICE = receivables.INVOICE.alias("i")
_UNTIL: ColumnElement[Any] = literal_column("CAST(:until AS timestamptz)")
# What had been paid and credited on `i` by then, joined once (`p`, `cn`).
_PAID: ColumnElement[Any] = literal_column("coalesce(p.paid, 0)")
_CREDITED: ColumnElement[Any] = literal_column("coalesce(cn.credited, 0)")
_THEN = {"paid": _PAID, "credited": _CREDITED}
NOW = {
    "amount_due": render(receivables.amount_due(_INVOICE)),
    "is_open": render(receivables.is_open(_INVOICE)),
    "is_overdue": render(receivables.is_overdue(_INVOICE)),
    "order_filter": "",
    "sums": "",
    "today": "current_date",
}
AS_OF = {
    "amount_due": render(receivables.due_before(_INVOICE, _UNTIL, **_THEN)),
    "is_open": render(receivables.owed_before(_INVOICE, _UNTIL, **_THEN)),
    "is_overdue": render(receivables.overdue_before(_INVOICE, _UNTIL, **_THEN)),
    "order_filter": "AND ordered_at < CAST(:until AS timestamptz)",
    "sums": f"""
    LEFT JOIN ({render(receivables.paid_before(_UNTIL))}) p ON p.invoice_id = i.id
    LEFT JOIN ({render(receivables.credited_before(_UNTIL))}) cn ON cn.invoice_id = i.id""",
    "today": "CAST(:as_of AS date)",
}

_FIGURES = f"""
orders AS (
    SELECT customer_id, count(*) AS order_count, sum(subtotal) AS revenue,
           min(ordered_at) AS first_order_at, max(ordered_at) AS last_order_at
    FROM erp.sales_order
    WHERE status IN {SALES_STATUSES} {{order_filter}} {{customer_filter}}
    GROUP BY customer_id
),
balances AS (
    SELECT i.customer_id,
           sum({{amount_due}}) AS open_balance,
           coalesce(sum({{amount_due}}) FILTER (WHERE {{is_overdue}}), 0) AS overdue_balance
    FROM erp.invoice i {{sums}}
    WHERE {{is_open}} {{invoice_filter}}
    GROUP BY i.customer_id
)"""

_UPSERT = """
INSERT INTO analytics.customer_metrics (
    customer_id, lifetime_revenue, order_count, average_order_value, first_order_at,
    last_order_at, open_balance, overdue_balance, recency_days, r_score, f_score, m_score,
    rfm_segment, computed_at)
SELECT c.id, coalesce(s.revenue, 0), coalesce(s.order_count, 0),
       round(s.revenue / nullif(s.order_count, 0), 2), s.first_order_at, s.last_order_at,
       coalesce(b.open_balance, 0), coalesce(b.overdue_balance, 0),
       {today} - s.last_order_at::date, s.r, s.f, s.m, {segment}, now()
FROM crm.customer c
LEFT JOIN scored s ON s.customer_id = c.id
LEFT JOIN balances b ON b.customer_id = c.id
{where}
ON CONFLICT (customer_id) DO UPDATE SET
    lifetime_revenue = EXCLUDED.lifetime_revenue, order_count = EXCLUDED.order_count,
    average_order_value = EXCLUDED.average_order_value, first_order_at = EXCLUDED.first_order_at,
    last_order_at = EXCLUDED.last_order_at, open_balance = EXCLUDED.open_balance,
    overdue_balance = EXCLUDED.overdue_balance, recency_days = EXCLUDED.recency_days,
    r_score = EXCLUDED.r_score, f_score = EXCLUDED.f_score, m_score = EXCLUDED.m_score,
    rfm_segment = EXCLUDED.rfm_segment, computed_at = EXCLUDED.computed_at
WHERE analytics.customer_metrics.computed_at <= EXCLUDED.computed_at
"""

SEGMENT = segment_case_sql("s.r", "s.f", "s.m")

_SCORED_ALL = """,
scored AS (
    SELECT o.*, ntile(5) OVER (ORDER BY last_order_at, customer_id) AS r,
           ntile(5) OVER (ORDER BY order_count, customer_id) AS f,
           ntile(5) OVER (ORDER BY revenue, customer_id) AS m
    FROM orders o
)"""


def _all_customers(rules: dict[str, str], where: str) -> str:
    return (
        "WITH"
        + _FIGURES.format(customer_filter="", invoice_filter="", **rules)
        + _SCORED_ALL
        + _UPSERT.format(segment=SEGMENT, where=where, today=rules["today"])
    )


ALL_CUSTOMERS = _all_customers(NOW, "")
ALL_CUSTOMERS_AS_OF = _all_customers(AS_OF, "WHERE c.created_at < CAST(:until AS timestamptz)")

# Scores against the stored population: the share of scored customers below this one.
ONE_CUSTOMER = (
    "WITH"
    + _FIGURES.format(
        customer_filter="AND customer_id = :customer_id",
        invoice_filter="AND i.customer_id = :customer_id",
        **NOW,
    )
    + """,
population AS (
    SELECT count(*) AS n FROM analytics.customer_metrics
    WHERE order_count > 0 AND customer_id <> :customer_id
),
scored AS (
    SELECT o.*,
        least(5, 1 + (5 * (SELECT count(*) FROM analytics.customer_metrics m
              WHERE m.order_count > 0 AND m.customer_id <> o.customer_id
                AND m.last_order_at < o.last_order_at))
              / greatest((SELECT n FROM population), 1)) AS r,
        least(5, 1 + (5 * (SELECT count(*) FROM analytics.customer_metrics m
              WHERE m.order_count > 0 AND m.customer_id <> o.customer_id
                AND m.order_count < o.order_count))
              / greatest((SELECT n FROM population), 1)) AS f,
        least(5, 1 + (5 * (SELECT count(*) FROM analytics.customer_metrics m
              WHERE m.order_count > 0 AND m.customer_id <> o.customer_id
                AND m.lifetime_revenue < o.revenue))
              / greatest((SELECT n FROM population), 1)) AS m
    FROM orders o
)"""
    + _UPSERT.format(segment=SEGMENT, where="WHERE c.id = :customer_id", today=NOW["today"])
)


async def recompute_all(connection: AsyncConnection, as_of: date | None = None) -> int:
    """Recompute every customer's metrics in one statement (as they stood at the start of
    `as_of`, when given); returns the rows written."""
    if as_of is None:
        result = await connection.execute(text(ALL_CUSTOMERS))
    else:
        until = datetime.combine(as_of, time.min, tzinfo=UTC)
        result = await connection.execute(
            text(ALL_CUSTOMERS_AS_OF), {"until": until, "as_of": as_of}
        )
    return result.rowcount or 0


async def recompute_customer(connection: AsyncConnection, customer_id: int) -> int:
    """Recompute one customer's metrics after an event about it (idempotent)."""
    result = await connection.execute(text(ONE_CUSTOMER), {"customer_id": customer_id})
    return result.rowcount or 0
