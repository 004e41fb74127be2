"""A customer's key figures and its forecast value, as the workers computed them."""

from datetime import datetime
from decimal import Decimal

import strawberry

from domain.analytics.rfm import RFM_SEGMENTS
from schema.core.enums import vocabulary_enum
from schema.core.nodes import KeyedByOwner, desc

RfmSegment = vocabulary_enum("RfmSegment", RFM_SEGMENTS, "Named RFM segment.")


@strawberry.type(
    description="Key figures of a customer, precomputed by the workers (RFM, revenue)."
)
class CustomerMetrics(KeyedByOwner):
    OWNER_KEY = "customer_id"
    lifetime_revenue: Decimal = desc("Net revenue of all placed, non-cancelled orders.")
    order_count: int = desc("Number of such orders.")
    average_order_value: Decimal | None = desc("Lifetime revenue divided by order count.")
    first_order_at: datetime | None = desc("When the first order was placed.")
    last_order_at: datetime | None = desc("When the latest order was placed.")
    open_balance: Decimal | None = desc(
        "Amount due on open invoices when computed (null for roles that may not read receivables)."
    )
    overdue_balance: Decimal | None = desc(
        "Amount due on overdue invoices when computed (null for roles that may not read "
        "receivables)."
    )
    r_score: int | None = desc("Recency quintile (5 = most recent).")
    f_score: int | None = desc("Frequency quintile (5 = most frequent).")
    m_score: int | None = desc("Monetary quintile (5 = highest revenue).")
    rfm_segment: RfmSegment | None = desc("Named RFM segment.")
    computed_at: datetime = desc("When the workers computed these figures.")


@strawberry.type(
    description="Expected value of a customer over the next 90 days (BG/NBD + Gamma-Gamma)."
)
class CustomerForecast(KeyedByOwner):
    OWNER_KEY = "customer_id"
    expected_orders_90d: Decimal = desc("Expected number of orders in the next 90 days.")
    expected_revenue_90d: Decimal = desc("Expected revenue in the next 90 days.")
    revenue_low: Decimal = strawberry.field(
        name="low",
        description="Lower bound of the 80% prediction interval of the 90-day revenue.",
    )
    revenue_high: Decimal = strawberry.field(
        name="high",
        description="Upper bound of the 80% prediction interval of the 90-day revenue.",
    )
    probability_alive: Decimal | None = desc(
        "Probability the customer is still active (0–1); null before a first purchase."
    )
    pipeline_value: Decimal = desc(
        "Open opportunities closing within 90 days, weighted by probability."
    )
    method: str = desc("Model used for this customer.")
    computed_at: datetime = desc("When the workers computed this forecast.")
