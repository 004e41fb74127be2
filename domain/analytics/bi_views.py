"""The BI views that carry read rules, rendered from the rules themselves.

BI tools read plain SQL views (docs/BI.md), which cannot call Python at query time. So the
views whose columns are read rules — amounts due and aging (`bi.invoices_aging`), shipped
quantities (`bi.sales_order_lines`), available, on order and the reorder signal
(`bi.inventory_status`) — are SQL templates here, with the rules' SQL rendered into them
from the same expressions the API evaluates (`domain.erp.receivables`, `fulfilment_status`,
`stock_position`, `on_order`).

Migrations must not change with the code (an old revision has to build the same database
forever), so a migration holds the *rendered text* of these views as of its revision, not a
call to `rendered()`. What keeps the two from drifting is a test
(`tests/bi/test_bi_views.py`): the views of a database migrated to head must be the views
`rendered()` gives now. Change a rule, and that test fails until a new migration recreates
the affected views with the new text (`python -m domain.analytics.bi_views` prints it).
"""

from sqlalchemy import func, literal_column

from domain.analytics.daily import SALES_STATUSES
from domain.core.literal_sql import render, render_subquery
from domain.erp import fulfilment_status, on_order, receivables, stock_position

_INVOICE = receivables.INVOICE.alias("i")

INVOICES_AGING = """
SELECT i.id AS invoice_id, i.number AS invoice_number, i.status, i.customer_id,
       c.code AS customer_code, c.name AS customer_name, so.number AS sales_order_number,
       i.currency, i.issued_on, i.due_on, i.total, i.amount_paid::numeric AS amount_paid,
       {amount_due} AS amount_due, late.days AS days_overdue,
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
CROSS JOIN LATERAL (SELECT {days_overdue} AS days) late
JOIN crm.customer c ON c.id = i.customer_id
LEFT JOIN erp.sales_order so ON so.id = i.sales_order_id
WHERE {is_open}
"""

SALES_ORDER_LINES = """
SELECT l.id AS line_id, o.id AS order_id, o.number AS order_number, o.status AS order_status,
       o.status IN {sales_statuses} AS is_sale,
       o.ordered_at, (o.ordered_at AT TIME ZONE 'UTC')::date AS order_day,
       o.customer_id, c.code AS customer_code, c.name AS customer_name,
       c.tier AS customer_tier, c.country AS customer_country,
       o.sales_rep_id, rep.name AS sales_rep, w.code AS warehouse_code,
       l.line_no, l.stock_item_id, s.sku, s.name AS item_name, s.category,
       l.quantity, coalesce(shipped.quantity, 0) AS shipped_quantity,
       l.list_price, l.discount_percent, l.unit_price, l.line_total, l.tax_amount, o.currency,
       o.customer_tier AS tier_at_sale
FROM erp.sales_order_line l
JOIN erp.sales_order o ON o.id = l.sales_order_id
JOIN crm.customer c ON c.id = o.customer_id
JOIN erp.stock_item s ON s.id = l.stock_item_id
JOIN erp.warehouse w ON w.id = o.warehouse_id
LEFT JOIN erp.employee rep ON rep.id = o.sales_rep_id
LEFT JOIN (
    SELECT dl.sales_order_line_id, sum(dl.quantity) AS quantity
    FROM erp.delivery_line dl JOIN erp.delivery d ON d.id = dl.delivery_id
    WHERE {counts_as_shipped} GROUP BY dl.sales_order_line_id
) shipped ON shipped.sales_order_line_id = l.id
"""

INVENTORY_STATUS = """
SELECT s.id AS stock_item_id, s.sku, s.name, s.category, s.is_active, sup.name AS supplier,
       s.currency, s.unit_price, s.unit_cost,
       coalesce(stock.on_hand, 0) AS on_hand, coalesce(stock.reserved, 0) AS reserved,
       coalesce(stock.available, 0) AS available, coalesce(on_order.on_order, 0) AS on_order,
       s.reorder_point, {at_reorder_point} AS below_reorder_point,
       coalesce(stock.warehouses, 0) AS warehouses,
       coalesce(stock.on_hand, 0) * s.unit_cost AS stock_value_at_cost,
       d.daily_demand, d.forecast_demand_30d, d.days_of_cover, d.suggested_reorder_quantity,
       d.computed_at AS demand_computed_at
FROM erp.stock_item s
LEFT JOIN erp.supplier sup ON sup.id = s.supplier_id
LEFT JOIN {stock} ON stock.stock_item_id = s.id
LEFT JOIN {on_order} ON on_order.stock_item_id = s.id
LEFT JOIN analytics.demand_forecast d ON d.stock_item_id = s.id
"""


def rendered() -> dict[str, str]:
    """The SQL of each rule-bearing view, with today's rules written in."""
    delivery = fulfilment_status.DELIVERY.alias("d")
    item = stock_position.STOCK_ITEM.alias("s")
    return {
        "invoices_aging": INVOICES_AGING.format(
            amount_due=render(receivables.amount_due(_INVOICE)),
            days_overdue=render(receivables.days_overdue(_INVOICE)),
            is_open=render(receivables.is_open(_INVOICE)),
        ),
        "sales_order_lines": SALES_ORDER_LINES.format(
            sales_statuses=SALES_STATUSES,
            counts_as_shipped=render(fulfilment_status.counts_as_shipped(delivery)),
        ),
        "inventory_status": INVENTORY_STATUS.format(
            at_reorder_point=render(
                stock_position.at_reorder_point(
                    item,
                    func.coalesce(literal_column("stock.available"), 0),
                    func.coalesce(literal_column("on_order.on_order"), 0),
                )
            ),
            stock=render_subquery(stock_position.totals_by_item()),
            on_order=render_subquery(on_order.on_order_by_item()),
        ),
    }


if __name__ == "__main__":
    for name, sql in rendered().items():
        print(f"-- bi.{name}\n{sql}")
