"""Campaign results (`analytics.campaign_metrics`), computed in SQL.

- targeted: every member; responded: members who responded or converted; converted:
  members marked converted.
- attributed revenue: net value of placed, confirmed and fulfilled orders a member placed
  within 30 days after being added to the campaign (the touch). Attribution is last
  touch: an order inside the windows of several campaigns counts once, for the most recent
  touch, so campaign revenues never add up to more than the company's.
- cost: the campaign's budget. ROI = (attributed revenue − cost) ÷ cost, on revenue (not
  margin); none when the cost is 0.

After events about customers only the campaigns those customers belong to are recomputed,
once per batch of events (a campaign's figures span all its members' orders, so this costs
about as much for one customer as for hundreds); the nightly run recomputes them all. As
with customer metrics, a row is never replaced by figures from an older snapshot.
"""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.analytics.daily import SALES_STATUSES

ATTRIBUTION_WINDOW_DAYS = 30

_SQL = f"""
WITH affected AS (
    SELECT id FROM crm.campaign {{campaign_filter}}
), touches AS (
    -- every touch of every customer who belongs to an affected campaign: the last touch
    -- before an order may belong to another campaign
    SELECT m.campaign_id, m.customer_id, m.added_at
    FROM crm.campaign_member m
    WHERE m.customer_id IN (SELECT customer_id FROM crm.campaign_member
                            WHERE campaign_id IN (SELECT id FROM affected))
), attributed AS (
    SELECT DISTINCT ON (o.id) o.id, o.subtotal, t.campaign_id
    FROM erp.sales_order o
    JOIN touches t ON t.customer_id = o.customer_id
     AND o.ordered_at >= t.added_at
     AND o.ordered_at < t.added_at + make_interval(days => CAST(:window AS integer))
    WHERE o.status IN {SALES_STATUSES}
    ORDER BY o.id, t.added_at DESC, t.campaign_id
), revenue AS (
    SELECT campaign_id, count(*) AS orders, sum(subtotal) AS revenue
    FROM attributed GROUP BY campaign_id
), members AS (
    SELECT campaign_id, count(*) AS targeted,
           count(*) FILTER (WHERE status IN ('responded', 'converted')) AS responded,
           count(*) FILTER (WHERE status = 'converted') AS converted
    FROM crm.campaign_member WHERE campaign_id IN (SELECT id FROM affected)
    GROUP BY campaign_id
)
INSERT INTO analytics.campaign_metrics (
    campaign_id, targeted, responded, converted, attributed_orders, attributed_revenue, cost,
    roi, attribution_window_days, computed_at)
SELECT c.id, coalesce(m.targeted, 0), coalesce(m.responded, 0), coalesce(m.converted, 0),
       coalesce(r.orders, 0), coalesce(r.revenue, 0), c.budget,
       CASE WHEN c.budget > 0 THEN round((coalesce(r.revenue, 0) - c.budget) / c.budget, 4) END,
       CAST(:window AS integer), now()
FROM crm.campaign c
JOIN affected a ON a.id = c.id
LEFT JOIN members m ON m.campaign_id = c.id
LEFT JOIN revenue r ON r.campaign_id = c.id
ON CONFLICT (campaign_id) DO UPDATE SET
    targeted = EXCLUDED.targeted, responded = EXCLUDED.responded,
    converted = EXCLUDED.converted, attributed_orders = EXCLUDED.attributed_orders,
    attributed_revenue = EXCLUDED.attributed_revenue, cost = EXCLUDED.cost, roi = EXCLUDED.roi,
    attribution_window_days = EXCLUDED.attribution_window_days,
    computed_at = EXCLUDED.computed_at
WHERE analytics.campaign_metrics.computed_at <= EXCLUDED.computed_at
"""
ALL_CAMPAIGNS = text(_SQL.format(campaign_filter=""))
CAMPAIGNS_OF_CUSTOMERS = text(
    _SQL.format(
        campaign_filter="WHERE id IN (SELECT campaign_id FROM crm.campaign_member "
        "WHERE customer_id = ANY(CAST(:customer_ids AS bigint[])))"
    )
)


async def recompute_all(connection: AsyncConnection) -> int:
    """Every campaign's results; returns the rows written."""
    result = await connection.execute(ALL_CAMPAIGNS, {"window": ATTRIBUTION_WINDOW_DAYS})
    return result.rowcount or 0


async def recompute_for_customers(connection: AsyncConnection, customer_ids: list[int]) -> int:
    """The results of the campaigns these customers belong to (after events about them)."""
    result = await connection.execute(
        CAMPAIGNS_OF_CUSTOMERS,
        {"window": ATTRIBUTION_WINDOW_DAYS, "customer_ids": customer_ids},
    )
    return result.rowcount or 0
