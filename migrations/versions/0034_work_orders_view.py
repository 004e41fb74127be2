"""`bi.work_orders`: production for BI tools, one row per work order with its item, warehouse,
bill of materials revision, quantities, work in progress and variance.

Revision ID: 0034_work_orders_view
Revises: 0033_opportunity_products
Create Date: 2026-12-09 15:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0034_work_orders_view"
down_revision: str | None = "0033_opportunity_products"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORK_ORDERS = """
SELECT w.id AS work_order_id, w.number, w.status,
       w.stock_item_id, i.sku, i.name AS item_name,
       wh.code AS warehouse_code, b.revision AS bom_revision,
       w.quantity, w.quantity_produced, w.quantity_scrapped,
       w.planned_start, w.due_on,
       w.unit_cost, w.material_cost, w.conversion_applied, w.output_value, w.variance,
       so.number AS sales_order_number,
       w.created_at, w.released_at, w.started_at, w.closed_at
FROM production.work_order w
JOIN erp.stock_item i ON i.id = w.stock_item_id
JOIN erp.warehouse wh ON wh.id = w.warehouse_id
JOIN production.bom b ON b.id = w.bom_id
LEFT JOIN erp.sales_order_line l ON l.id = w.sales_order_line_id
LEFT JOIN erp.sales_order so ON so.id = l.sales_order_id
"""
DESCRIPTION = (
    "One row per work order: the item made, where, from which bill of materials revision, "
    "quantities made and spoilt, and its work in progress and variance."
)


def upgrade() -> None:
    op.execute(f"CREATE VIEW bi.work_orders AS {WORK_ORDERS}")
    op.execute("COMMENT ON VIEW bi.work_orders IS '" + DESCRIPTION.replace("'", "''") + "'")


def downgrade() -> None:
    op.execute("DROP VIEW bi.work_orders")
