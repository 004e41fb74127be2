"""Taking an order: the ERP order, and what it makes of the CRM customer.

A customer who orders is an active customer, whatever the pipeline said before. The order
belongs to ERP and the customer's status to CRM, so the step that changes both lives here.
Both happen in the caller's transaction: an order refused leaves the customer as it was.
"""

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.journal import Journal
from domain.crm import customers
from domain.erp import sales_orders
from domain.erp.models.sales_orders import SalesOrder


async def place(
    *, session: AsyncSession, journal: Journal, request: sales_orders.OrderRequest
) -> SalesOrder:
    """Take an order (priced for the tier, stock reserved); its customer becomes active."""
    await _mark_buying(session, journal, request)
    return await sales_orders.place(session=session, journal=journal, request=request)


async def create_draft(
    *, session: AsyncSession, journal: Journal, request: sales_orders.OrderRequest
) -> SalesOrder:
    """A priced draft order (nothing reserved yet); its customer becomes active."""
    await _mark_buying(session, journal, request)
    return await sales_orders.create_draft(session=session, journal=journal, request=request)


async def _mark_buying(
    session: AsyncSession, journal: Journal, request: sales_orders.OrderRequest
) -> None:
    # Refused as the order service would refuse it: a customer the actor may not see.
    customer = await customers.get_visible(session, journal.actor, request.customer_id)
    await customers.mark_buying(session=session, journal=journal, customer=customer)
