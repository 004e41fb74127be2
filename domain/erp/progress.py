"""How far an order has got: units shipped, delivered, invoiced and returned per order line.

Failed deliveries do not count as shipped (their goods came back); void invoices do not
count as invoiced. Returned units are what customers sent back of delivered goods, and of
them, how many had been invoiced and were credited with the return.
"""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.access import Viewer
from domain.core.errors import NotFound
from domain.crm.models import Customer
from domain.erp.fulfilment_status import SHIPPED_DELIVERY_STATUSES
from domain.erp.models.credit_notes import SalesReturn, SalesReturnLine
from domain.erp.models.invoices import Invoice, InvoiceLine
from domain.erp.models.sales_orders import Delivery, DeliveryLine, SalesOrder, SalesOrderLine


async def get_order(
    session: AsyncSession, actor: Viewer, order_id: int, *, field: str = "id", lock: bool = True
) -> SalesOrder:
    """The order, locked for the rest of the transaction, if the actor may see its customer.

    Locking the order serialises everything that changes it (confirm, ship, invoice, cancel),
    so two of them never work from the same stale quantities.
    """
    statement = (
        select(SalesOrder)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .where(SalesOrder.id == order_id, actor.customer_rule(Customer.account_manager_id))
    )
    if lock:
        statement = statement.with_for_update(of=SalesOrder)
    order = await session.scalar(statement)
    if order is None:
        raise NotFound("sales order", field)
    return order


async def order_lines(session: AsyncSession, order_id: int) -> list[SalesOrderLine]:
    rows = await session.scalars(
        select(SalesOrderLine)
        .where(SalesOrderLine.sales_order_id == order_id)
        .order_by(SalesOrderLine.line_no)
    )
    return list(rows)


async def shipped_by_line(session: AsyncSession, order_id: int) -> dict[int, int]:
    return await _delivery_totals(session, order_id, SHIPPED_DELIVERY_STATUSES)


async def delivered_by_line(session: AsyncSession, order_id: int) -> dict[int, int]:
    return await _delivery_totals(session, order_id, ("delivered",))


async def invoiced_by_line(session: AsyncSession, order_id: int) -> dict[int, int]:
    rows = await session.execute(
        select(InvoiceLine.sales_order_line_id, func.sum(InvoiceLine.quantity))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(Invoice.sales_order_id == order_id, Invoice.status != "void")
        .group_by(InvoiceLine.sales_order_line_id)
    )
    return {line_id: int(total) for line_id, total in rows if line_id is not None}


@dataclass(frozen=True)
class Returned:
    quantity: int = 0
    credited: int = 0


async def returned_by_line(session: AsyncSession, order_id: int) -> dict[int, Returned]:
    """Units returned per order line, and how many of them a credit note took off invoices."""
    rows = await session.execute(
        select(
            SalesReturnLine.sales_order_line_id,
            func.sum(SalesReturnLine.quantity),
            func.sum(SalesReturnLine.credited_quantity),
        )
        .join(SalesReturn, SalesReturn.id == SalesReturnLine.sales_return_id)
        .where(SalesReturn.sales_order_id == order_id)
        .group_by(SalesReturnLine.sales_order_line_id)
    )
    return {line_id: Returned(int(units), int(credited)) for line_id, units, credited in rows}


async def _delivery_totals(
    session: AsyncSession, order_id: int, statuses: tuple[str, ...]
) -> dict[int, int]:
    rows = await session.execute(
        select(DeliveryLine.sales_order_line_id, func.sum(DeliveryLine.quantity))
        .join(Delivery, Delivery.id == DeliveryLine.delivery_id)
        .where(Delivery.sales_order_id == order_id, Delivery.status.in_(statuses))
        .group_by(DeliveryLine.sales_order_line_id)
    )
    return {line_id: int(total) for line_id, total in rows}
