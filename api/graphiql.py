"""GraphiQL preloaded with the Customer 360 query, a real customer ID and request headers,
and a tab per example of the questions the graph answers about many records."""

import json
import re

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

CUSTOMER_360 = """query Customer360($id: ID!) {
  customer(id: $id) {
    id code name tier status
    accountManager { name email }
    openBalance
    metrics { lifetimeRevenue orderCount averageOrderValue lastOrderAt overdueBalance rfmSegment computedAt }
    forecast { expectedRevenue90d low high probabilityAlive expectedOrders90d pipelineValue computedAt }
    orders(first: 10) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        number status orderedAt currency total deliveryStatus paymentStatus
        lines { quantity unitPrice lineTotal stockItem { sku name } }
        deliveries { status carrier trackingNumber shippedAt deliveredAt }
        invoices { number status total amountDue dueAt }
      } }
    }
    interactions(first: 5) { edges { node { channel subject occurredAt employee { name } } } }
    campaigns { name channel }
    opportunities(first: 5) { edges { node { name stage amount probability expectedCloseOn } } }
    tickets(first: 5) { edges { node { subject category priority status } } }
  }
}
"""


# One tab each, after the Customer 360: `where` across relations, grouped aggregates and
# saved segments (docs/ANALYTICS.md explains them).
EXAMPLES = (
    """# Customers with an invoice more than 30 days overdue and an open deal.
query OverdueWithOpenDeal {
  customers(first: 50, where: {
    invoices: {some: {daysOverdue: {gt: 30}}}
    opportunities: {some: {stage: {in: [QUALIFICATION, PROPOSAL, NEGOTIATION]}}}
  }) {
    totalCount
    edges { node { code name tier openBalance accountManager { name } } }
  }
}
""",
    """# Orders of GOLD customers, with the tier they had when they ordered.
query GoldCustomersOrders {
  salesOrders(first: 20, where: {customer: {tier: {eq: GOLD}}}) {
    totalCount
    edges { node { number orderedAt customerTier total customer { name tier } } }
  }
}
""",
    """# Revenue by month by tier at the time of sale (Berlin time).
query RevenueByMonthByTier {
  salesOrdersAggregate(
    where: {status: {in: [PLACED, CONFIRMED, FULFILLED]}}
    groupBy: [{field: ORDERED_AT, bucket: MONTH, timeZone: "Europe/Berlin"}, {field: CUSTOMER_TIER}]
    limit: 1000
  ) { truncated groups { key count sum { subtotal } } }
}
""",
    """# Tickets by category by ISO week.
query TicketsByCategoryByWeek {
  ticketsAggregate(groupBy: [{field: CATEGORY}, {field: OPENED_AT, bucket: WEEK}], limit: 1000) {
    truncated groups { key count }
  }
}
""",
    """# Weighted pipeline (amount x probability) by expected close month and owner.
query WeightedPipeline {
  opportunitiesAggregate(
    where: {stage: {in: [PROSPECTING, QUALIFICATION, PROPOSAL, NEGOTIATION]}}
    groupBy: [{field: EXPECTED_CLOSE_ON, bucket: MONTH}, {field: OWNER__NAME}]
    limit: 1000
  ) { truncated groups { key count sum { amount weightedAmount } } }
}
""",
    """# Campaign responses and conversions by channel.
query CampaignResponsesByChannel {
  campaignMembersAggregate(groupBy: [{field: CAMPAIGN__CHANNEL}, {field: STATUS}]) {
    groups { key count }
  }
}
""",
    """# Saved segments: members, revenue and expected revenue with their shares.
query Segments {
  segments(first: 10) {
    edges { node {
      name definition
      figures { members revenue12m revenue12mShare expectedRevenue90d expectedRevenue90dShare }
    } }
  }
}
""",
)


# Prepended to the first tab when the page carries no token: GraphiQL itself only says
# "Error fetching schema".
TOKEN_HINT = """# Every request needs a token. Mint one with
#   bizgraph token --employee EMAIL --role admin
# and put it in Headers below: {"Authorization": "Bearer <token>"}
"""

# The page runs its own inline script and styles and the files of `api.graphiql_assets`, and
# talks to this server only (its WebSocket included: 'self' covers ws: and wss: to the same
# host); fonts and icons are inline data.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)

# A customer whose 360 shows every part of it: orders with deliveries and invoices, tickets,
# interactions, deals; the most orders first.
SHOWCASE = text(
    """
    SELECT c.id FROM crm.customer c
    WHERE c.archived_at IS NULL
      AND EXISTS (SELECT 1 FROM erp.delivery d JOIN erp.sales_order o ON o.id = d.sales_order_id
                  WHERE o.customer_id = c.id)
      AND EXISTS (SELECT 1 FROM erp.invoice i WHERE i.customer_id = c.id)
      AND EXISTS (SELECT 1 FROM crm.ticket t WHERE t.customer_id = c.id)
      AND EXISTS (SELECT 1 FROM crm.interaction n WHERE n.customer_id = c.id)
      AND EXISTS (SELECT 1 FROM crm.opportunity p WHERE p.customer_id = c.id)
    ORDER BY (SELECT count(*) FROM erp.sales_order o WHERE o.customer_id = c.id) DESC, c.id
    LIMIT 1
    """
)


async def showcase_customer(connection: AsyncConnection) -> int | None:
    """The customer the Customer 360 tab opens on (the lowest id when none has it all)."""
    found = await connection.scalar(SHOWCASE)
    if found is None:
        found = await connection.scalar(text("SELECT min(id) FROM crm.customer"))
    return found


def _tabs(variables: dict[str, str], headers: dict[str, str], hint: bool) -> str:
    """GraphiQL's `defaultTabs` (used while the browser has no tabs of its own stored)."""
    shown = json.dumps(headers, indent=2) if headers else None
    first = (TOKEN_HINT if hint else "") + CUSTOMER_360
    tabs = [{"query": first, "variables": json.dumps(variables, indent=2)}]
    tabs += [{"query": document} for document in EXAMPLES]
    text = json.dumps([{**tab, "headers": shown} if shown else tab for tab in tabs])
    return text.replace("</", "<\\/")  # never ends the page's <script> early


def customize(
    html: str, *, variables: dict[str, str], headers: dict[str, str], hint: bool = False
) -> str:
    """Replace GraphiQL's welcome text with our documents and preset variables and headers;
    `hint`: the page carries no token, so the first document says how to get one."""
    first = (TOKEN_HINT if hint else "") + CUSTOMER_360
    html = html.replace(
        "<title>Strawberry GraphiQL</title>", "<title>bizgraph · GraphiQL</title>", 1
    )
    html = re.sub(
        r"const EXAMPLE_QUERY = `.*?`;",
        lambda _: f"const EXAMPLE_QUERY = {json.dumps(first)};",
        html,
        count=1,
        flags=re.DOTALL,
    )
    html = html.replace(
        "parameters.variables,",
        f"parameters.variables || {json.dumps(json.dumps(variables, indent=2))},",
        1,
    )
    html = html.replace(
        "defaultEditorToolsVisibility: true,",
        f"defaultEditorToolsVisibility: true, defaultTabs: {_tabs(variables, headers, hint)},",
        1,
    )
    if headers:
        html = html.replace(
            "React.useState(parameters.headers)",
            f"React.useState(parameters.headers || {json.dumps(json.dumps(headers, indent=2))})",
            1,
        )
    return html
