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
        "Orders placed by members within the attribution window after their touch (last "
        "touch wins when several campaigns qualify)."
    )
    attributed_revenue: Decimal = desc("Net revenue of those orders.")
    cost: Decimal = desc("The campaign's cost (its budget).")
    roi: Decimal | None = desc("(Attributed revenue − cost) ÷ cost; null when the cost is 0.")
    attribution_window_days: int = desc("Days after the touch in which orders count.")
    computed_at: datetime = desc("When the workers computed these figures.")
