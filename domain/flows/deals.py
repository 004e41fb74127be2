"""Winning a deal: the CRM opportunity becomes an ERP draft sales order for its customer.

This spans both contexts, so it lives in `flows`: CRM knows nothing of orders.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.journal import Journal
from domain.crm import opportunity_stages as stages
from domain.crm.models import Opportunity
from domain.crm.opportunities import get_for_change
from domain.erp import sales_orders
from domain.flows import ordering


async def win(
    *,
    session: AsyncSession,
    journal: Journal,
    opportunity_id: int,
    lines: Sequence[sales_orders.LineRequest],
    warehouse_id: int | None,
    version: int | None,
) -> Opportunity:
    """Close the deal as won and draft the order that delivers it (priced for the tier)."""
    opportunity = await get_for_change(session, journal.actor, opportunity_id, version)
    opportunity.stage = stages.move(opportunity.stage, "won")
    order = await ordering.create_draft(
        session=session,
        journal=journal,
        request=sales_orders.OrderRequest(
            customer_id=opportunity.customer_id,
            lines=lines,
            warehouse_id=warehouse_id,
            default_sales_rep_id=opportunity.owner_id,
            notes=f"From won opportunity: {opportunity.name}",
        ),
    )
    opportunity.probability = stages.DEFAULT_PROBABILITY["won"]
    opportunity.closed_at = datetime.now(UTC)
    opportunity.sales_order_id = order.id
    opportunity.version += 1
    await session.flush()
    journal.record(
        "opportunity.won",
        entity_type="opportunity",
        entity_id=opportunity.id,
        customer_id=opportunity.customer_id,
        changes={"sales_order": order.number, "amount": opportunity.amount},
    )
    return opportunity
