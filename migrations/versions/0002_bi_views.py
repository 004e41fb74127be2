"""BI views: schema `bi`, documented read-only views for BI tools (docs/BI.md).

The views run with their owner's rights, so a role granted SELECT on them (see
`bizgraph bi-role`) reads them without any right on the tables underneath. No view
exposes salaries, secrets or operational payloads (`ops.*`). Status vocabularies are
spelled out here, as of this revision, so the migration does not change with the code.

Revision ID: 0002_bi_views
Revises: 0001
Create Date: 2026-11-24 09:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002_bi_views"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SALES_STATUSES = (
    "('placed', 'confirmed', 'fulfilled')"  # drafts are not sales; cancelled never were
)
OPEN_STAGES = "('prospecting', 'qualification', 'proposal', 'negotiation')"
OPEN_TICKETS = "('open', 'in_progress', 'waiting')"
OPEN_PURCHASE_ORDERS = "('ordered', 'partially_received')"

CUSTOMER_360 = f"""
SELECT c.id AS customer_id, c.code, c.name, c.kind, c.country, c.industry, c.tier, c.status,
       c.currency, c.credit_limit, c.created_at,
       c.account_manager_id, am.name AS account_manager,
       acq.name AS acquisition_campaign,
       m.lifetime_revenue, m.order_count, m.average_order_value, m.first_order_at,
       m.last_order_at, m.open_balance, m.overdue_balance, m.recency_days, m.rfm_segment,
       m.computed_at AS metrics_computed_at,
       f.expected_revenue_90d, f.revenue_low AS expected_revenue_90d_low,
       f.revenue_high AS expected_revenue_90d_high, f.expected_orders_90d,
       f.probability_alive, f.pipeline_value, f.computed_at AS forecast_computed_at,
       coalesce(opp.open_opportunities, 0) AS open_opportunities,
       coalesce(opp.open_pipeline_amount, 0) AS open_pipeline_amount,
       coalesce(tic.open_tickets, 0) AS open_tickets,
       itr.last_interaction_at
FROM crm.customer c
LEFT JOIN erp.employee am ON am.id = c.account_manager_id
LEFT JOIN crm.campaign acq ON acq.id = c.acquisition_campaign_id
LEFT JOIN analytics.customer_metrics m ON m.customer_id = c.id
LEFT JOIN analytics.customer_forecast f ON f.customer_id = c.id
LEFT JOIN (
    SELECT customer_id, count(*) AS open_opportunities, sum(amount) AS open_pipeline_amount
    FROM crm.opportunity WHERE stage IN {OPEN_STAGES} GROUP BY customer_id
) opp ON opp.customer_id = c.id
LEFT JOIN (
    SELECT customer_id, count(*) AS open_tickets
    FROM crm.ticket WHERE status IN {OPEN_TICKETS} GROUP BY customer_id
) tic ON tic.customer_id = c.id
LEFT JOIN (
    SELECT customer_id, max(occurred_at) AS last_interaction_at
    FROM crm.interaction GROUP BY customer_id
) itr ON itr.customer_id = c.id
"""

SALES_ORDER_LINES = f"""
SELECT l.id AS line_id, o.id AS order_id, o.number AS order_number, o.status AS order_status,
       o.status IN {SALES_STATUSES} AS is_sale,
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
    WHERE d.status <> 'failed' GROUP BY dl.sales_order_line_id
) shipped ON shipped.sales_order_line_id = l.id
"""

INVOICES_AGING = """
SELECT i.id AS invoice_id, i.number AS invoice_number, i.status, i.customer_id,
       c.code AS customer_code, c.name AS customer_name, so.number AS sales_order_number,
       i.currency, i.issued_on, i.due_on, i.total, due.paid AS amount_paid,
       i.total - due.paid AS amount_due, greatest(current_date - i.due_on, 0) AS days_overdue,
       CASE
           WHEN current_date <= i.due_on THEN 'current'
           WHEN current_date - i.due_on <= 30 THEN '1-30'
           WHEN current_date - i.due_on <= 60 THEN '31-60'
           WHEN current_date - i.due_on <= 90 THEN '61-90'
           ELSE '90+'
       END AS aging_bucket,
       CASE
           WHEN current_date <= i.due_on THEN 0
           WHEN current_date - i.due_on <= 30 THEN 1
           WHEN current_date - i.due_on <= 60 THEN 2
           WHEN current_date - i.due_on <= 90 THEN 3
           ELSE 4
       END AS bucket_order
FROM erp.invoice i
CROSS JOIN LATERAL (
    SELECT coalesce(sum(p.amount), 0) AS paid FROM erp.payment p WHERE p.invoice_id = i.id
) due
JOIN crm.customer c ON c.id = i.customer_id
LEFT JOIN erp.sales_order so ON so.id = i.sales_order_id
WHERE i.status <> 'void' AND i.total > due.paid
"""

REVENUE_DAILY = f"""
SELECT (o.ordered_at AT TIME ZONE 'UTC')::date AS day, o.currency,
       count(*) AS orders, count(DISTINCT o.customer_id) AS customers,
       sum(o.subtotal) AS revenue, sum(o.tax_total) AS tax, sum(o.total) AS gross_revenue,
       round(sum(o.subtotal) / count(*), 2) AS average_order_value
FROM erp.sales_order o
WHERE o.status IN {SALES_STATUSES}
GROUP BY 1, 2
"""

REVENUE_FORECAST = """
SELECT r.scope, r.key, p.day, p.revenue, p.revenue_low, p.revenue_high,
       r.id AS run_id, r.model, r.history_from, r.history_to, r.horizon_days,
       r.mape, r.mase, r.baseline_mape, r.baseline_mase, r.finished_at AS computed_at
FROM (
    SELECT DISTINCT ON (scope, key) id, scope, key, model, history_from, history_to,
           horizon_days, mape, mase, baseline_mape, baseline_mase, finished_at
    FROM analytics.forecast_run
    WHERE status = 'succeeded'
    ORDER BY scope, key, finished_at DESC NULLS LAST, id DESC
) r
JOIN analytics.revenue_forecast_point p ON p.run_id = r.id
"""

PIPELINE = f"""
SELECT o.id AS opportunity_id, o.name, o.customer_id, c.code AS customer_code,
       c.name AS customer_name, c.tier AS customer_tier, o.owner_id, owner.name AS owner,
       o.stage, o.stage IN {OPEN_STAGES} AS is_open, o.amount, o.probability,
       round(o.amount * o.probability / 100.0, 2) AS weighted_amount, o.currency,
       o.expected_close_on, date_trunc('month', o.expected_close_on)::date AS expected_close_month,
       source.name AS source_campaign, o.sales_order_id, o.created_at, o.closed_at, o.lost_reason
FROM crm.opportunity o
JOIN crm.customer c ON c.id = o.customer_id
LEFT JOIN erp.employee owner ON owner.id = o.owner_id
LEFT JOIN crm.campaign source ON source.id = o.source_campaign_id
"""

CAMPAIGN_PERFORMANCE = """
SELECT ca.id AS campaign_id, ca.name, ca.channel, ca.status, ca.starts_on, ca.ends_on,
       ca.budget, ca.currency, owner.name AS owner,
       coalesce(mb.members, 0) AS members, coalesce(mb.responded, 0) AS responded,
       coalesce(mb.converted, 0) AS converted,
       round(mb.responded::numeric / nullif(mb.members, 0), 4) AS response_rate,
       round(mb.converted::numeric / nullif(mb.members, 0), 4) AS conversion_rate,
       coalesce(acq.customers, 0) AS acquired_customers,
       cm.attributed_orders, cm.attributed_revenue, cm.cost, cm.roi,
       cm.attribution_window_days, cm.computed_at AS results_computed_at
FROM crm.campaign ca
LEFT JOIN erp.employee owner ON owner.id = ca.owner_id
LEFT JOIN (
    SELECT campaign_id, count(*) AS members,
           count(*) FILTER (WHERE status IN ('responded', 'converted')) AS responded,
           count(*) FILTER (WHERE status = 'converted') AS converted
    FROM crm.campaign_member GROUP BY campaign_id
) mb ON mb.campaign_id = ca.id
LEFT JOIN (
    SELECT acquisition_campaign_id, count(*) AS customers
    FROM crm.customer WHERE acquisition_campaign_id IS NOT NULL GROUP BY acquisition_campaign_id
) acq ON acq.acquisition_campaign_id = ca.id
LEFT JOIN analytics.campaign_metrics cm ON cm.campaign_id = ca.id
"""

INVENTORY_STATUS = f"""
SELECT s.id AS stock_item_id, s.sku, s.name, s.category, s.is_active, sup.name AS supplier,
       s.currency, s.unit_price, s.unit_cost,
       coalesce(lv.on_hand, 0) AS on_hand, coalesce(lv.reserved, 0) AS reserved,
       coalesce(lv.on_hand - lv.reserved, 0) AS available, coalesce(po.on_order, 0) AS on_order,
       s.reorder_point,
       coalesce(lv.on_hand - lv.reserved, 0) + coalesce(po.on_order, 0) <= s.reorder_point
           AS below_reorder_point,
       coalesce(lv.warehouses, 0) AS warehouses,
       coalesce(lv.on_hand, 0) * s.unit_cost AS stock_value_at_cost,
       d.daily_demand, d.forecast_demand_30d, d.days_of_cover, d.suggested_reorder_quantity,
       d.computed_at AS demand_computed_at
FROM erp.stock_item s
LEFT JOIN erp.supplier sup ON sup.id = s.supplier_id
LEFT JOIN (
    SELECT stock_item_id, sum(on_hand) AS on_hand, sum(reserved) AS reserved,
           count(*) FILTER (WHERE on_hand > 0) AS warehouses
    FROM erp.stock_level GROUP BY stock_item_id
) lv ON lv.stock_item_id = s.id
LEFT JOIN (
    SELECT l.stock_item_id, sum(l.quantity - l.quantity_received) AS on_order
    FROM erp.purchase_order_line l JOIN erp.purchase_order p ON p.id = l.purchase_order_id
    WHERE p.status IN {OPEN_PURCHASE_ORDERS} GROUP BY l.stock_item_id
) po ON po.stock_item_id = s.id
LEFT JOIN analytics.demand_forecast d ON d.stock_item_id = s.id
"""

EMPLOYEE_DIRECTORY = """
SELECT e.id AS employee_id, e.name, e.email, e.title, e.status, e.hire_date,
       d.code AS department_code, d.name AS department, e.manager_id, m.name AS manager
FROM erp.employee e
LEFT JOIN erp.department d ON d.id = e.department_id
LEFT JOIN erp.employee m ON m.id = e.manager_id
"""

# name -> (what one row is, SQL, comments of columns whose meaning is not obvious)
VIEWS: dict[str, tuple[str, str, dict[str, str]]] = {
    "customer_360": (
        "One row per customer: profile, account manager, precomputed metrics and forecast "
        "(as of *_computed_at), open opportunities and tickets, last interaction.",
        CUSTOMER_360,
        {
            "lifetime_revenue": "Net revenue of placed, confirmed and fulfilled orders.",
            "open_balance": "Invoiced and not yet paid (as of metrics_computed_at).",
            "overdue_balance": "Part of open_balance past its due date.",
            "rfm_segment": "Recency-frequency-monetary segment of the last metrics run.",
            "expected_revenue_90d": "Forecast net revenue of the next 90 days.",
            "open_pipeline_amount": "Sum of the amounts of open opportunities.",
        },
    ),
    "sales_order_lines": (
        "One row per sales order line, with its order, customer, item and shipped quantity.",
        SALES_ORDER_LINES,
        {
            "is_sale": "The order counts as revenue (placed, confirmed or fulfilled).",
            "order_day": "Order date in UTC.",
            "line_total": "Quantity times unit price, net of tax.",
            "shipped_quantity": "Quantity on deliveries that did not fail.",
        },
    ),
    "invoices_aging": (
        "One row per open invoice (not void, not fully paid) with its aging bucket as of "
        "today: current, 1-30, 31-60, 61-90 or 90+ days past due.",
        INVOICES_AGING,
        {
            "amount_due": "Total minus payments received.",
            "days_overdue": "Days past the due date (0 when not yet due).",
            "aging_bucket": "current, 1-30, 31-60, 61-90 or 90+ (days past due).",
            "bucket_order": "0-4, to sort the buckets.",
        },
    ),
    "revenue_daily": (
        "One row per UTC day and currency with orders: counts and revenue of sales "
        "(placed, confirmed, fulfilled orders). Days without orders have no row.",
        REVENUE_DAILY,
        {
            "revenue": "Net of tax (order subtotals).",
            "gross_revenue": "Including tax.",
        },
    ),
    "revenue_forecast": (
        "Forecast points of the latest successful run for each scope and key "
        "(company, tier, category), with the run's accuracy.",
        REVENUE_FORECAST,
        {
            "scope": "company, tier or category.",
            "key": "The tier or category forecast ('' for the company).",
            "revenue_low": "Lower bound of the prediction interval.",
            "revenue_high": "Upper bound of the prediction interval.",
            "mape": "Mean absolute percentage error the forecasting run recorded.",
            "mase": "Mean absolute scaled error the forecasting run recorded.",
            "computed_at": "When the run finished.",
        },
    ),
    "pipeline": (
        "One row per opportunity, open or closed, with weighted amount and expected close month.",
        PIPELINE,
        {
            "weighted_amount": "Amount times probability.",
            "expected_close_month": "First day of the expected close month.",
        },
    ),
    "campaign_performance": (
        "One row per campaign: members, response and conversion (live), acquired customers, "
        "and attributed orders, revenue and ROI (as of results_computed_at).",
        CAMPAIGN_PERFORMANCE,
        {
            "responded": "Members who responded (including those who converted).",
            "acquired_customers": "Customers whose acquisition campaign this is.",
            "roi": "Return on investment, as recorded by the campaign results run.",
        },
    ),
    "inventory_status": (
        "One row per stock item: stock over all warehouses, quantities on order, reorder "
        "signal, stock value at cost and the demand forecast (as of demand_computed_at).",
        INVENTORY_STATUS,
        {
            "available": "On hand minus reserved.",
            "on_order": "Ordered from suppliers and not yet received.",
            "below_reorder_point": "available + on_order is at or below the reorder point.",
            "stock_value_at_cost": "on_hand times unit cost.",
        },
    ),
    "employee_directory": (
        "One row per employee: name, contact, title, department and manager. No salaries.",
        EMPLOYEE_DIRECTORY,
        {},
    ),
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.execute("CREATE SCHEMA bi")
    op.execute(f"COMMENT ON SCHEMA bi IS {_literal('Read-only views for BI tools (docs/BI.md).')}")
    for name, (description, sql, columns) in VIEWS.items():
        op.execute(f"CREATE VIEW bi.{name} AS {sql}")
        op.execute(f"COMMENT ON VIEW bi.{name} IS {_literal(description)}")
        for column, comment in columns.items():
            op.execute(f"COMMENT ON COLUMN bi.{name}.{column} IS {_literal(comment)}")


def downgrade() -> None:
    op.execute("DROP SCHEMA IF EXISTS bi CASCADE")
