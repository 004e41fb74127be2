"""Placing an order for worker tests: the real order service, as `salesOrderPlace` runs it —
priced, stock reserved, audit row and outbox event, all in one committed transaction."""

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.core.access import Viewer
from domain.core.journal import Journal
from domain.erp import sales_orders
from domain.flows import ordering

WAREHOUSE_ID = 1


async def place_order(
    engine: AsyncEngine, customer_id: int, lines: list[tuple[int, int]]
) -> tuple[int, Decimal]:
    """Place an order of (stock item, quantity) lines; returns (order id, net subtotal)."""
    journal = Journal(actor=Viewer.system(), request_id="worker-test")
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        # What these tests measure is the workers, not credit control.
        await session.execute(
            text("UPDATE crm.customer SET credit_limit = NULL WHERE id = :id"), {"id": customer_id}
        )
        order = await ordering.place(
            session=session,
            journal=journal,
            request=sales_orders.OrderRequest(
                customer_id=customer_id,
                lines=[sales_orders.LineRequest(item, quantity) for item, quantity in lines],
                warehouse_id=WAREHOUSE_ID,
            ),
        )
        await journal.write(session)
    return order.id, order.subtotal
