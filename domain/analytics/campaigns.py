"""Campaign results (`analytics.campaign_metrics`), computed in SQL.

- targeted: the members contacted (not held out); responded: those who responded or
  converted; converted: those marked converted.
- the touch: when a member was added, or when the campaign started if the member was added
  before; a campaign that has not started (planned) or was cancelled touches no one, and a
  member added after the campaign's last day was not touched by it. An order is never
  credited to a campaign before its start.
- attributed revenue: net value of placed, confirmed and fulfilled orders a member placed
  within 30 days after the touch, under three models side by side (each order counts
  once in every model, so campaign revenues never add up to more than the company's):
  last touch (the most recent touch before the order: `attributed_*`, which ROI uses),
  first touch (the earliest whose window still holds the order: `first_touch_*`) and
  linear (split evenly among every campaign whose window holds it: `linear_*`).
- as of a day (`recompute_all(as_of=…)`): only members added and orders placed before that
  day count; a member's responded or converted status and a
  campaign's status are today's (their history is not kept).
- control group: members held out (`held_out`) are never contacted, so they have no touch
  and no order is attributed to the campaign through them. Each member, treated or held
  out, gets a window of 30 days from their (would-be) touch; per group, the revenue of
  the orders in it per member and the share of members who ordered in it. What the
  campaign added: (treated − control revenue per member) × treated members, and the
  difference of the shares, each with a 95 % confidence interval (normal approximation,
  the groups' variances apart); none without at least two members in each group.
- cost: the campaign's budget. ROI = (attributed revenue − cost) ÷ cost, on revenue (not
  margin); none when the cost is 0.

After events about customers only the campaigns those customers belong to are recomputed,
once per batch of events (a campaign's figures span all its members' orders, so this costs
about as much for one customer as for hundreds); the nightly run recomputes them all. As
with customer metrics, a row is never replaced by figures from an older snapshot.
"""

from datetime import UTC, date, datetime, time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.analytics.daily import SALES_STATUSES

ATTRIBUTION_WINDOW_DAYS = 30
# The touch rule, in SQL over `crm.campaign_member m JOIN crm.campaign k`, written once for
# the campaign results and the revenue forecast's campaign driver: a member's (would-be)
# touch is the later of joining and the campaign's start; a member was contacted when not
# held out and added by the campaign's last day.
TOUCHED_AT = "greatest(m.added_at, CAST(k.starts_on AS timestamp) AT TIME ZONE 'UTC')"
CONTACTED = (
    "(NOT m.held_out AND (k.ends_on IS NULL"
    " OR m.added_at < CAST(k.ends_on + 1 AS timestamp) AT TIME ZONE 'UTC'))"
)

_SQL = f"""
WITH affected AS (
    SELECT id FROM crm.campaign {{campaign_filter}}
), bounds AS (
    SELECT coalesce(CAST(:until AS timestamptz), 'infinity') AS until
), memberships AS (
    -- every membership of every customer who belongs to an affected campaign, with its
    -- (would-be) touch: the later of joining and the campaign's start
    SELECT m.campaign_id, m.customer_id, m.held_out, {CONTACTED} AS contacted,
           {TOUCHED_AT} AS touched_at
    FROM crm.campaign_member m
    JOIN crm.campaign k ON k.id = m.campaign_id
    WHERE k.status IN ('active', 'completed')
      AND m.added_at < (SELECT until FROM bounds)
      AND m.customer_id IN (SELECT customer_id FROM crm.campaign_member
                            WHERE campaign_id IN (SELECT id FROM affected))
), touches AS (
    -- the touches that happened: contacted members, added by the campaign's last day (the
    -- other campaigns' touches before an order compete for it too)
    SELECT campaign_id, customer_id, touched_at FROM memberships WHERE contacted
), qualifying AS (
    SELECT o.id, o.subtotal, t.campaign_id,
           row_number() OVER (PARTITION BY o.id ORDER BY t.touched_at DESC, t.campaign_id)
               AS from_last,
           row_number() OVER (PARTITION BY o.id ORDER BY t.touched_at, t.campaign_id)
               AS from_first,
           count(*) OVER (PARTITION BY o.id) AS campaigns
    FROM erp.sales_order o
    JOIN touches t ON t.customer_id = o.customer_id
     AND o.ordered_at >= t.touched_at
     AND o.ordered_at < t.touched_at + make_interval(days => CAST(:window AS integer))
    WHERE o.status IN {SALES_STATUSES} AND o.ordered_at < (SELECT until FROM bounds)
), revenue AS (
    SELECT campaign_id,
           count(*) FILTER (WHERE from_last = 1) AS orders,
           coalesce(sum(subtotal) FILTER (WHERE from_last = 1), 0) AS revenue,
           count(*) FILTER (WHERE from_first = 1) AS first_orders,
           coalesce(sum(subtotal) FILTER (WHERE from_first = 1), 0) AS first_revenue,
           sum(1.0 / campaigns) AS linear_orders,
           sum(subtotal / campaigns) AS linear_revenue
    FROM qualifying GROUP BY campaign_id
), exposure AS (
    -- every member of an affected campaign with its (would-be) touch, held out or not
    SELECT campaign_id, customer_id, held_out, touched_at FROM memberships
    WHERE campaign_id IN (SELECT id FROM affected)
), outcome AS (
    SELECT e.campaign_id, e.held_out, coalesce(sum(o.subtotal), 0) AS revenue,
           CAST(count(o.id) > 0 AS integer) AS bought
    FROM exposure e
    LEFT JOIN erp.sales_order o ON o.customer_id = e.customer_id
     AND o.status IN {SALES_STATUSES}
     AND o.ordered_at >= e.touched_at
     AND o.ordered_at < e.touched_at + make_interval(days => CAST(:window AS integer))
     AND o.ordered_at < (SELECT until FROM bounds)
    GROUP BY e.campaign_id, e.customer_id, e.held_out
), groups AS (
    SELECT campaign_id,
           count(*) FILTER (WHERE NOT held_out) AS n_t, count(*) FILTER (WHERE held_out) AS n_c,
           avg(revenue) FILTER (WHERE NOT held_out) AS rev_t,
           avg(revenue) FILTER (WHERE held_out) AS rev_c,
           coalesce(var_samp(revenue) FILTER (WHERE NOT held_out), 0) AS var_t,
           coalesce(var_samp(revenue) FILTER (WHERE held_out), 0) AS var_c,
           avg(bought) FILTER (WHERE NOT held_out) AS conv_t,
           avg(bought) FILTER (WHERE held_out) AS conv_c
    FROM outcome GROUP BY campaign_id
), experiment AS (
    SELECT campaign_id, n_c,
           rev_t, rev_c, (rev_t - rev_c) * n_t AS lift,
           1.959964 * sqrt(var_t / n_t + var_c / n_c) * n_t AS lift_margin,
           conv_t, conv_c,
           1.959964 * sqrt(conv_t * (1 - conv_t) / n_t + conv_c * (1 - conv_c) / n_c)
               AS conv_margin
    FROM groups WHERE n_t >= 2 AND n_c >= 2
), members AS (
    SELECT campaign_id, count(*) FILTER (WHERE NOT held_out) AS targeted,
           count(*) FILTER (WHERE NOT held_out AND status IN ('responded', 'converted'))
               AS responded,
           count(*) FILTER (WHERE NOT held_out AND status = 'converted') AS converted
    FROM crm.campaign_member
    WHERE campaign_id IN (SELECT id FROM affected) AND added_at < (SELECT until FROM bounds)
    GROUP BY campaign_id
)
INSERT INTO analytics.campaign_metrics (
    campaign_id, targeted, responded, converted, attributed_orders, attributed_revenue,
    first_touch_orders, first_touch_revenue, linear_orders, linear_revenue, control_members,
    treated_revenue_per_member, control_revenue_per_member, incremental_revenue,
    incremental_revenue_low, incremental_revenue_high, treated_conversion, control_conversion,
    incremental_conversion_low, incremental_conversion_high, cost, roi,
    attribution_window_days, computed_at)
SELECT c.id, coalesce(m.targeted, 0), coalesce(m.responded, 0), coalesce(m.converted, 0),
       coalesce(r.orders, 0), coalesce(r.revenue, 0), coalesce(r.first_orders, 0),
       coalesce(r.first_revenue, 0), round(coalesce(r.linear_orders, 0), 4),
       round(coalesce(r.linear_revenue, 0), 2), coalesce(g.n_c, 0),
       round(x.rev_t, 2), round(x.rev_c, 2), round(x.lift, 2),
       round(x.lift - x.lift_margin, 2), round(x.lift + x.lift_margin, 2),
       round(x.conv_t, 4), round(x.conv_c, 4),
       round(x.conv_t - x.conv_c - x.conv_margin, 4), round(x.conv_t - x.conv_c + x.conv_margin, 4),
       c.budget,
       CASE WHEN c.budget > 0 THEN round((coalesce(r.revenue, 0) - c.budget) / c.budget, 4) END,
       CAST(:window AS integer), now()
FROM crm.campaign c
JOIN affected a ON a.id = c.id
LEFT JOIN members m ON m.campaign_id = c.id
LEFT JOIN revenue r ON r.campaign_id = c.id
LEFT JOIN groups g ON g.campaign_id = c.id
LEFT JOIN experiment x ON x.campaign_id = c.id
ON CONFLICT (campaign_id) DO UPDATE SET
    targeted = EXCLUDED.targeted, responded = EXCLUDED.responded,
    converted = EXCLUDED.converted, attributed_orders = EXCLUDED.attributed_orders,
    attributed_revenue = EXCLUDED.attributed_revenue,
    first_touch_orders = EXCLUDED.first_touch_orders,
    first_touch_revenue = EXCLUDED.first_touch_revenue, linear_orders = EXCLUDED.linear_orders,
    linear_revenue = EXCLUDED.linear_revenue, control_members = EXCLUDED.control_members,
    treated_revenue_per_member = EXCLUDED.treated_revenue_per_member,
    control_revenue_per_member = EXCLUDED.control_revenue_per_member,
    incremental_revenue = EXCLUDED.incremental_revenue,
    incremental_revenue_low = EXCLUDED.incremental_revenue_low,
    incremental_revenue_high = EXCLUDED.incremental_revenue_high,
    treated_conversion = EXCLUDED.treated_conversion,
    control_conversion = EXCLUDED.control_conversion,
    incremental_conversion_low = EXCLUDED.incremental_conversion_low,
    incremental_conversion_high = EXCLUDED.incremental_conversion_high,
    cost = EXCLUDED.cost, roi = EXCLUDED.roi,
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


async def recompute_all(connection: AsyncConnection, as_of: date | None = None) -> int:
    """Every campaign's results (as they stood at the start of `as_of`, when given);
    returns the rows written."""
    until = None if as_of is None else datetime.combine(as_of, time.min, tzinfo=UTC)
    result = await connection.execute(
        ALL_CAMPAIGNS, {"window": ATTRIBUTION_WINDOW_DAYS, "until": until}
    )
    return result.rowcount or 0


async def recompute_for_customers(connection: AsyncConnection, customer_ids: list[int]) -> int:
    """The results of the campaigns these customers belong to (after events about them)."""
    result = await connection.execute(
        CAMPAIGNS_OF_CUSTOMERS,
        {"window": ATTRIBUTION_WINDOW_DAYS, "customer_ids": customer_ids, "until": None},
    )
    return result.rowcount or 0
