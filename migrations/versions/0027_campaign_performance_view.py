"""`bi.campaign_performance` shows what the campaign results now hold: held-out members, the
first-touch and linear attribution beside last touch, and the control group's comparison
(incremental revenue with its confidence interval, treated and control conversion).

The view keeps its columns, names, types and order and gains some at the end, so
`CREATE OR REPLACE VIEW` keeps its grants and comments. `members`, `responded` and the
rates keep counting every member, as before; `held_out_members` says how many of them
were held back. Going back recreates the view as 0002 left it.

Revision ID: 0027_campaign_performance_view
Revises: 0026_campaign_control_groups
Create Date: 2026-12-06 21:45:00.000000+00:00
"""

import importlib
from collections.abc import Sequence

from alembic import op

revision: str = "0027_campaign_performance_view"
down_revision: str | None = "0026_campaign_control_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CAMPAIGN_PERFORMANCE = """
SELECT ca.id AS campaign_id, ca.name, ca.channel, ca.status, ca.starts_on, ca.ends_on,
       ca.budget, ca.currency, owner.name AS owner,
       coalesce(mb.members, 0) AS members, coalesce(mb.responded, 0) AS responded,
       coalesce(mb.converted, 0) AS converted,
       round(mb.responded::numeric / nullif(mb.members, 0), 4) AS response_rate,
       round(mb.converted::numeric / nullif(mb.members, 0), 4) AS conversion_rate,
       coalesce(acq.customers, 0) AS acquired_customers,
       cm.attributed_orders, cm.attributed_revenue, cm.cost, cm.roi,
       cm.attribution_window_days, cm.computed_at AS results_computed_at,
       coalesce(mb.held_out, 0) AS held_out_members,
       cm.first_touch_orders, cm.first_touch_revenue, cm.linear_orders, cm.linear_revenue,
       cm.treated_revenue_per_member, cm.control_revenue_per_member, cm.incremental_revenue,
       cm.incremental_revenue_low, cm.incremental_revenue_high, cm.treated_conversion,
       cm.control_conversion, cm.incremental_conversion_low, cm.incremental_conversion_high
FROM crm.campaign ca
LEFT JOIN erp.employee owner ON owner.id = ca.owner_id
LEFT JOIN (
    SELECT campaign_id, count(*) AS members,
           count(*) FILTER (WHERE status IN ('responded', 'converted')) AS responded,
           count(*) FILTER (WHERE status = 'converted') AS converted,
           count(*) FILTER (WHERE held_out) AS held_out
    FROM crm.campaign_member GROUP BY campaign_id
) mb ON mb.campaign_id = ca.id
LEFT JOIN (
    SELECT acquisition_campaign_id, count(*) AS customers
    FROM crm.customer WHERE acquisition_campaign_id IS NOT NULL GROUP BY acquisition_campaign_id
) acq ON acq.acquisition_campaign_id = ca.id
LEFT JOIN analytics.campaign_metrics cm ON cm.campaign_id = ca.id
"""


def upgrade() -> None:
    op.execute(f"CREATE OR REPLACE VIEW bi.campaign_performance AS {CAMPAIGN_PERFORMANCE}")
    op.execute(
        "COMMENT ON COLUMN bi.campaign_performance.held_out_members IS "
        "'Members held out as the control group (never contacted).'"
    )


def downgrade() -> None:
    first = importlib.import_module("migrations.versions.0002_bi_views").VIEWS
    description, sql, comments = first["campaign_performance"]
    op.execute("DROP VIEW bi.campaign_performance")
    op.execute(f"CREATE VIEW bi.campaign_performance AS {sql}")
    op.execute(f"COMMENT ON VIEW bi.campaign_performance IS {_literal(description)}")
    for column, comment in comments.items():
        op.execute(f"COMMENT ON COLUMN bi.campaign_performance.{column} IS {_literal(comment)}")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
