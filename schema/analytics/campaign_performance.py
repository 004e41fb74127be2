"""What a campaign achieved, as the workers computed it."""

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.core.nodes import FromRow, desc


@strawberry.type(description="What a campaign achieved.")
class CampaignPerformance(FromRow):
    targeted: int = desc("Members targeted.")
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
    cost: Decimal = desc("The campaign's cost (its budget).")
    roi: Decimal | None = desc(
        "(Attributed revenue, last touch − cost) ÷ cost; null when the cost is 0."
    )
    attribution_window_days: int = desc("Days after the touch in which orders count.")
    computed_at: datetime = desc("When the workers computed these figures.")
