"""Credit limits: a customer may not owe more than its limit, counting what it has ordered."""

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.errors import DomainError
from domain.core.money import ZERO
from domain.crm.models import Customer
from domain.erp import receivables
from domain.erp.models.invoices import Invoice
from domain.erp.models.sales_orders import SalesOrder


async def exposure(
    session: AsyncSession, customer_id: int, *, exclude_order: int | None
) -> Decimal:
    """Unpaid invoices plus the not-yet-invoiced value of open (placed/confirmed) orders."""
    return await unpaid(session, customer_id) + await uninvoiced(
        session, customer_id, exclude_order=exclude_order
    )


async def unpaid(session: AsyncSession, customer_id: int) -> Decimal:
    """What the customer owes on its invoices: the sum of their amounts due."""
    owed = await session.scalar(
        select(func.coalesce(func.sum(receivables.amount_due()), 0)).where(
            Invoice.customer_id == customer_id, Invoice.status != "void"
        )
    )
    return Decimal(owed or ZERO)


async def uninvoiced(
    session: AsyncSession, customer_id: int, *, exclude_order: int | None
) -> Decimal:
    """The part of placed and confirmed orders' totals that no non-void invoice bills yet."""
    invoiced = (
        select(func.coalesce(func.sum(Invoice.total), 0))
        .where(Invoice.sales_order_id == SalesOrder.id, Invoice.status != "void")
        .scalar_subquery()
    )
    value = await session.scalar(
        select(func.coalesce(func.sum(func.greatest(SalesOrder.total - invoiced, 0)), 0)).where(
            SalesOrder.customer_id == customer_id,
            SalesOrder.status.in_(("placed", "confirmed")),
            SalesOrder.id != (exclude_order or 0),
        )
    )
    return Decimal(value or ZERO)


async def ensure_within_limit(
    session: AsyncSession, customer: Customer, amount: Decimal, *, exclude_order: int | None = None
) -> None:
    """CREDIT_LIMIT_EXCEEDED when `amount` more would take the customer over its limit."""
    if customer.credit_limit is None:
        return
    owed = await exposure(session, customer.id, exclude_order=exclude_order)
    if owed + amount > customer.credit_limit:
        headroom = max(customer.credit_limit - owed, ZERO)
        raise DomainError(
            "CREDIT_LIMIT_EXCEEDED",
            f"order of {amount} exceeds the credit left ({headroom} of {customer.credit_limit})",
            "customer",
        )
