"""What a campaign achieved, as the workers computed it."""

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.core.nodes import KeyedByOwner, desc


@strawberry.type(description="What a campaign achieved.")
class CampaignPerformance(KeyedByOwner):
    OWNER_KEY = "campaign_id"
    targeted: int = desc("Members contacted (held-out members are not).")
    responded: int = desc("Members who responded (or converted).")
    converted: int = desc("Members who converted.")
    attributed_orders: int = desc(
        "Orders placed by members within the attribution window after their touch (when "
        "they were added, or when the campaign started if that was later), last touch: an "
        "order in several campaigns' windows counts for the most recent touch."
    )
    attributed_revenue: Decimal = desc("Net revenue of those orders (last touch).")
    first_touch_orders: int = desc(
        "The same orders credited to the earliest touch whose window holds them."
    )
    first_touch_revenue: Decimal = desc("Net revenue of the first-touch orders.")
    linear_orders: Decimal = desc(
        "The same orders split evenly among every campaign whose window holds them."
    )
    linear_revenue: Decimal = desc("This campaign's even share of those orders' revenue.")
    control_members: int = desc("Members held out as the control group (never contacted).")
    treated_revenue_per_member: Decimal | None = desc(
        "Revenue per contacted member within the window after their touch (null without a "
        "control group of at least two)."
    )
    control_revenue_per_member: Decimal | None = desc(
        "The same for held-out members, from when they would have been touched."
    )
    incremental_revenue: Decimal | None = desc(
        "What the campaign added: (treated − control revenue per member) × contacted members."
    )
    incremental_revenue_low: Decimal | None = desc("Its 95% confidence interval, lower bound.")
    incremental_revenue_high: Decimal | None = desc("Its 95% confidence interval, upper bound.")
    treated_conversion: Decimal | None = desc(
        "Share of contacted members who ordered within the window."
    )
    control_conversion: Decimal | None = desc("The same share among held-out members.")
    incremental_conversion_low: Decimal | None = desc(
        "95% confidence interval of the difference of the two shares, lower bound."
    )
    incremental_conversion_high: Decimal | None = desc("Its upper bound.")
    cost: Decimal = desc("The campaign's cost (its budget).")
    roi: Decimal | None = desc(
        "(Attributed revenue, last touch − cost) ÷ cost; null when the cost is 0."
    )
    attribution_window_days: int = desc("Days after the touch in which orders count.")
    computed_at: datetime = desc("When the workers computed these figures.")
