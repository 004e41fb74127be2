"""BI views follow the read rules: amounts due, aging, shipped quantities, stock, on order.

`bi.invoices_aging`, `bi.sales_order_lines` and `bi.inventory_status` are recreated with
their read-rule columns rendered from the domain's read model (`domain.analytics.bi_views`),
as of this revision: the text below is frozen, so this revision builds the same views
forever. The columns keep their names, types and order (`CREATE OR REPLACE VIEW`), so
grants and comments stay. No figure changes: these views already applied the rules the API
now applies everywhere; from here on they are rendered from them.

When a rule changes later, `tests/bi/test_bi_views.py` fails until a new revision recreates
the affected views with the text `python -m domain.analytics.bi_views` prints then.

Revision ID: 0006_bi_read_rules
Revises: 0005_idempotency_per_principal
Create Date: 2026-12-03 16:00:00.000000+00:00
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0006_bi_read_rules"
down_revision: str | None = "0005_idempotency_per_principal"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS: dict[str, str] = {
    "invoices_aging": """
SELECT i.id AS invoice_id, i.number AS invoice_number, i.status, i.customer_id,
       c.code AS customer_code, c.name AS customer_name, so.number AS sales_order_number,
       i.currency, i.issued_on, i.due_on, i.total, due.paid AS amount_paid,
       CASE WHEN (i.status = 'void') THEN 0 ELSE i.total - due.paid END AS amount_due, late.days AS days_overdue,
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
       END AS bucket_order
FROM erp.invoice i
CROSS JOIN LATERAL (
    SELECT coalesce(sum(p.amount), 0) AS paid FROM erp.payment p WHERE p.invoice_id = i.id
) due
CROSS JOIN LATERAL (SELECT CASE WHEN (CASE WHEN (i.status = 'void') THEN 0 ELSE i.total - due.paid END > 0 AND i.due_on < CURRENT_DATE) THEN CURRENT_DATE - i.due_on ELSE 0 END AS days) late
JOIN crm.customer c ON c.id = i.customer_id
LEFT JOIN erp.sales_order so ON so.id = i.sales_order_id
WHERE CASE WHEN (i.status = 'void') THEN 0 ELSE i.total - due.paid END > 0
""",
    "sales_order_lines": """
SELECT l.id AS line_id, o.id AS order_id, o.number AS order_number, o.status AS order_status,
       o.status IN ('placed', 'confirmed', 'fulfilled') AS is_sale,
       o.ordered_at, (o.ordered_at AT TIME ZONE 'UTC')::date AS order_day,
       o.customer_id, c.code AS customer_code, c.name AS customer_name,
       c.tier AS customer_tier, c.country AS customer_country,
       o.sales_rep_id, rep.name AS sales_rep, w.code AS warehouse_code,
       l.line_no, l.stock_item_id, s.sku, s.name AS item_name, s.category,
       l.quantity, coalesce(shipped.quantity, 0) AS shipped_quantity,
       l.list_price, l.discount_percent, l.unit_price, l.line_total, l.tax_amount, o.currency
FROM erp.sales_order_line l
JOIN erp.sales_order o ON o.id = l.sales_order_id
JOIN crm.customer c ON c.id = o.customer_id
JOIN erp.stock_item s ON s.id = l.stock_item_id
JOIN erp.warehouse w ON w.id = o.warehouse_id
LEFT JOIN erp.employee rep ON rep.id = o.sales_rep_id
LEFT JOIN (
    SELECT dl.sales_order_line_id, sum(dl.quantity) AS quantity
    FROM erp.delivery_line dl JOIN erp.delivery d ON d.id = dl.delivery_id
    WHERE d.status = ANY (ARRAY['in_transit', 'delivered']) GROUP BY dl.sales_order_line_id
) shipped ON shipped.sales_order_line_id = l.id
""",
    "inventory_status": """
SELECT s.id AS stock_item_id, s.sku, s.name, s.category, s.is_active, sup.name AS supplier,
       s.currency, s.unit_price, s.unit_cost,
       coalesce(stock.on_hand, 0) AS on_hand, coalesce(stock.reserved, 0) AS reserved,
       coalesce(stock.available, 0) AS available, coalesce(on_order.on_order, 0) AS on_order,
       s.reorder_point, coalesce(stock.available, 0) + coalesce(on_order.on_order, 0) <= s.reorder_point AS below_reorder_point,
       coalesce(stock.warehouses, 0) AS warehouses,
       coalesce(stock.on_hand, 0) * s.unit_cost AS stock_value_at_cost,
       d.daily_demand, d.forecast_demand_30d, d.days_of_cover, d.suggested_reorder_quantity,
       d.computed_at AS demand_computed_at
FROM erp.stock_item s
LEFT JOIN erp.supplier sup ON sup.id = s.supplier_id
LEFT JOIN (SELECT erp.stock_level.stock_item_id, sum(erp.stock_level.on_hand) AS on_hand, sum(erp.stock_level.reserved) AS reserved, sum(erp.stock_level.on_hand - erp.stock_level.reserved) AS available, count(*) FILTER (WHERE erp.stock_level.on_hand > 0) AS warehouses
FROM erp.stock_level GROUP BY erp.stock_level.stock_item_id) AS stock ON stock.stock_item_id = s.id
LEFT JOIN (SELECT erp.purchase_order_line.stock_item_id, sum(erp.purchase_order_line.quantity - erp.purchase_order_line.quantity_received) AS on_order
FROM erp.purchase_order_line JOIN erp.purchase_order ON erp.purchase_order.id = erp.purchase_order_line.purchase_order_id
WHERE erp.purchase_order.status = ANY (ARRAY['ordered', 'partially_received']) GROUP BY erp.purchase_order_line.stock_item_id) AS on_order ON on_order.stock_item_id = s.id
LEFT JOIN analytics.demand_forecast d ON d.stock_item_id = s.id
""",
}


def upgrade() -> None:
    for name, sql in VIEWS.items():
        op.execute(f"CREATE OR REPLACE VIEW bi.{name} AS {sql}")


def downgrade() -> None:
    previous = importlib.import_module("migrations.versions.0002_bi_views").VIEWS
    for name in VIEWS:
        op.execute(f"CREATE OR REPLACE VIEW bi.{name} AS {previous[name][1]}")
