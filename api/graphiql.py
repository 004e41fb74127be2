"""GraphiQL preloaded with the Customer 360 query, a real customer ID and request headers."""

import json
import re

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


def customize(html: str, *, variables: dict[str, str], headers: dict[str, str]) -> str:
    """Replace GraphiQL's welcome text with our document and preset variables and headers."""
    html = re.sub(
        r"const EXAMPLE_QUERY = `.*?`;",
        lambda _: f"const EXAMPLE_QUERY = {json.dumps(CUSTOMER_360)};",
        html,
        count=1,
        flags=re.DOTALL,
    )
    html = html.replace(
        "parameters.variables,",
        f"parameters.variables || {json.dumps(json.dumps(variables, indent=2))},",
        1,
    )
    if headers:
        html = html.replace(
            "React.useState(parameters.headers)",
            f"React.useState(parameters.headers || {json.dumps(json.dumps(headers, indent=2))})",
            1,
        )
    return html
