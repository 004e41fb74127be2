"""Orders record the customer's tier when they were placed: `erp.sales_order.customer_tier`,
filled by a trigger on every insert (the services, imports, bulk loads) and, for the orders
already there, with the tier their customer has now; `bi.sales_order_lines` gains a last
column `tier_at_sale` (its `customer_tier` stays the customer's current tier).

The view keeps its columns, names, types and order and gains one at the end, so
`CREATE OR REPLACE VIEW` keeps its grants and comments. Going back drops the column, which
only dropping the view can do: it is recreated as 0006 left it, with 0002's comments.

Revision ID: 0020_order_tier_at_sale
Revises: 0019_credit_notes_quotes
Create Date: 2026-12-06 18:10:00.000000+00:00
"""

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_order_tier_at_sale"
down_revision: str | None = "0019_credit_notes_quotes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIERS = "'bronze', 'silver', 'gold', 'platinum'"

SALES_ORDER_LINES = """SELECT l.id AS line_id, o.id AS order_id, o.number AS order_number, o.status AS order_status,
       o.status IN ('placed', 'confirmed', 'fulfilled') AS is_sale,
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
    WHERE d.status = ANY (ARRAY['in_transit', 'delivered']) GROUP BY dl.sales_order_line_id
) shipped ON shipped.sales_order_line_id = l.id
"""

TIER_AT_SALE = """
CREATE FUNCTION erp.sales_order_tier_at_sale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.customer_tier IS NULL THEN
    SELECT tier INTO NEW.customer_tier FROM crm.customer WHERE id = NEW.customer_id;
  END IF;
  RETURN NEW;
END $$"""


def upgrade() -> None:
    op.add_column(
        "sales_order", sa.Column("customer_tier", sa.String(length=20), nullable=True), schema="erp"
    )
    op.execute(
        "UPDATE erp.sales_order o SET customer_tier = c.tier FROM crm.customer c "
        "WHERE c.id = o.customer_id"
    )
    op.alter_column("sales_order", "customer_tier", nullable=False, schema="erp")
    op.create_check_constraint(
        op.f("ck_sales_order_customer_tier"),
        "sales_order",
        f"customer_tier IN ({TIERS})",
        schema="erp",
    )
    op.execute(TIER_AT_SALE)
    op.execute(
        "CREATE TRIGGER tier_at_sale BEFORE INSERT ON erp.sales_order "
        "FOR EACH ROW EXECUTE FUNCTION erp.sales_order_tier_at_sale()"
    )
    op.execute(f"CREATE OR REPLACE VIEW bi.sales_order_lines AS {SALES_ORDER_LINES}")
    op.execute(
        "COMMENT ON COLUMN bi.sales_order_lines.tier_at_sale IS "
        "'The customer''s tier when the order was placed (customer_tier: its tier today)'"
    )


def downgrade() -> None:
    first = importlib.import_module("migrations.versions.0002_bi_views").VIEWS["sales_order_lines"]
    previous = importlib.import_module("migrations.versions.0006_bi_read_rules").VIEWS
    op.execute("DROP VIEW bi.sales_order_lines")
    op.execute(f"CREATE VIEW bi.sales_order_lines AS {previous['sales_order_lines']}")
    op.execute(f"COMMENT ON VIEW bi.sales_order_lines IS {_literal(first[0])}")
    for column, comment in first[2].items():
        op.execute(f"COMMENT ON COLUMN bi.sales_order_lines.{column} IS {_literal(comment)}")
    op.execute("DROP TRIGGER tier_at_sale ON erp.sales_order")
    op.execute("DROP FUNCTION erp.sales_order_tier_at_sale()")
    op.drop_constraint(
        op.f("ck_sales_order_customer_tier"), "sales_order", schema="erp", type_="check"
    )
    op.drop_column("sales_order", "customer_tier", schema="erp")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
