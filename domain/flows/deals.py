"""Deals and what they sell: the products an open deal would sell (which the material plan
weighs by its probability), and winning it, when the CRM opportunity becomes an ERP draft
sales order for its customer.

This spans both contexts, so it lives in `flows`: CRM knows nothing of orders or items.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import DomainError, Problems
from domain.core.journal import Journal
from domain.crm import opportunity_stages as stages
from domain.crm.models import Opportunity, OpportunityLine
from domain.crm.opportunities import get_for_change
from domain.erp import sales_orders
from domain.erp.models.stock import StockItem
from domain.flows import ordering

MAX_PRODUCT_LINES = 100


async def win(
    *,
    session: AsyncSession,
    journal: Journal,
    opportunity_id: int,
    lines: Sequence[sales_orders.LineRequest] | None,
    warehouse_id: int | None,
    version: int | None,
) -> Opportunity:
    """Close the deal as won and draft the order that delivers it (priced for the tier):
    the lines given, or else the products the deal named."""
    opportunity = await get_for_change(session, journal.actor, opportunity_id, version)
    opportunity.stage = stages.move(opportunity.stage, "won")
    if lines is None:
        named = await session.execute(
            select(OpportunityLine.stock_item_id, OpportunityLine.quantity)
            .where(OpportunityLine.opportunity_id == opportunity.id)
            .order_by(OpportunityLine.id)
        )
        lines = [sales_orders.LineRequest(item, quantity) for item, quantity in named]
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


async def set_products(
    *,
    session: AsyncSession,
    journal: Journal,
    opportunity_id: int,
    lines: Sequence[tuple[int, int]],
    version: int | None,
) -> Opportunity:
    """Replace the products an open deal would sell, as (stock item, units) pairs."""
    opportunity = await get_for_change(session, journal.actor, opportunity_id, version)
    if not stages.is_open(opportunity.stage):
        raise DomainError("INVALID_TRANSITION", "only an open deal's products can change", "id")
    problems = Problems()
    if len(lines) > MAX_PRODUCT_LINES:
        problems.add("lines", f"at most {MAX_PRODUCT_LINES} products (got {len(lines)})")
    items = set(
        await session.scalars(
            select(StockItem.id).where(StockItem.id.in_({item for item, _ in lines}))
        )
    )
    seen: set[int] = set()
    for position, (item, quantity) in enumerate(lines):
        if item not in items:
            problems.add(f"lines.{position}.stockItem", "stock item does not exist", "NOT_FOUND")
        if item in seen:
            problems.add(f"lines.{position}.stockItem", "listed twice: one line per product")
        seen.add(item)
        validation.quantity(problems, f"lines.{position}.quantity", quantity)
    problems.raise_if_any()
    await session.execute(
        delete(OpportunityLine).where(OpportunityLine.opportunity_id == opportunity.id)
    )
    session.add_all(
        OpportunityLine(opportunity_id=opportunity.id, stock_item_id=item, quantity=quantity)
        for item, quantity in lines
    )
    opportunity.version += 1
    await session.flush()
    journal.record(
        "opportunity.updated",
        entity_type="opportunity",
        entity_id=opportunity.id,
        customer_id=opportunity.customer_id,
        changes={"products": len(lines)},
    )
    return opportunity
