"""Supplier payments: money paid against one bill, in its currency, never more than is due."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import DomainError
from domain.core.journal import Journal
from domain.finance import payables
from domain.finance.models import SupplierPayment
from domain.finance.supplier_bills import get_bill


@dataclass(frozen=True)
class SupplierPaymentRequest:
    bill_id: int
    amount: Decimal
    currency: str | None = None
    reference: str | None = None
    paid_at: datetime | None = None  # None: now


async def record(
    *, session: AsyncSession, journal: Journal, request: SupplierPaymentRequest
) -> SupplierPayment:
    """Pay a supplier's bill in part or in full; the bill becomes partially paid or paid."""
    moved = validation.money_moved(
        amount_given=request.amount,
        reference=request.reference,
        at=request.paid_at,
        at_field="paidAt",
    )
    amount, reference, paid_at = moved.amount, moved.reference, moved.at
    # Locked: two payments of the same bill must see each other's amounts.
    bill = await get_bill(session, request.bill_id, field="bill")
    payables.BILL_MACHINE.next(bill.status, "pay")  # a void or paid bill takes no money
    if request.currency is not None and request.currency.strip().upper() != bill.currency:
        raise DomainError(
            "CURRENCY_MISMATCH", f"bill {bill.number} is in {bill.currency}", "currency"
        )
    due = await payables.amount_due_of(session, bill.id)
    if amount > due:
        raise DomainError(
            "OVERPAYMENT", f"only {due} {bill.currency} is due on bill {bill.number}", "amount"
        )
    payment_id = await references.next_id(session, "finance.supplier_payment")
    payment = SupplierPayment(
        id=payment_id,
        number=f"SP-{payment_id:08d}",
        supplier_bill_id=bill.id,
        supplier_id=bill.supplier_id,
        amount=amount,
        currency=bill.currency,
        paid_at=paid_at,
        reference=reference,
        created_by_id=journal.actor.employee_id,
    )
    session.add(payment)
    bill.status = payables.status_after_payment(bill.total, bill.total - due + amount)
    await session.flush()
    journal.record(
        "supplier_payment.recorded",
        entity_type="supplier_payment",
        entity_id=payment_id,
        changes={"bill": bill.number, "amount": amount, "bill_status": bill.status},
    )
    return payment
