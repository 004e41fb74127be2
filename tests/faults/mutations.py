"""What a mutation does to the database, in one place so a GraphQL mutation can replace it.

A mutation changes data and writes its outbox event in the same committed transaction
(`domain.core.outbox.emit`); that is all the fault tests need from one.
"""

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.core.outbox import emit

PLACE_ORDER = text(
    """
    INSERT INTO erp.sales_order (number, customer_id, warehouse_id, status, subtotal, tax_total,
                                 total, ordered_at)
    VALUES (:number, :customer_id, (SELECT min(id) FROM erp.warehouse), 'placed', :amount, 0,
            :amount, now())
    RETURNING id
    """
)


async def place_order(engine: AsyncEngine, customer_id: int, amount: Decimal, number: str) -> int:
    """Commit a placed order and its `sales_order.placed` event; returns the order id."""
    async with AsyncSession(engine) as session, session.begin():
        order_id = (
            await session.execute(
                PLACE_ORDER, {"number": number, "customer_id": customer_id, "amount": amount}
            )
        ).scalar_one()
        await emit(
            session=session,
            topic="sales_order.placed",
            aggregate_type="sales_order",
            aggregate_id=order_id,
            customer_id=customer_id,
        )
    return int(order_id)
