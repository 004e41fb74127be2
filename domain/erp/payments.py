"""Payments: money received against one invoice, never more than is due."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import DomainError
from domain.core.journal import Journal
from domain.erp import receivables
from domain.erp.invoice_states import INVOICE_MACHINE, status_after_payment
from domain.erp.invoices import get_invoice
from domain.erp.models.invoices import PAYMENT_METHODS, Invoice, Payment


@dataclass(frozen=True)
class PaymentRequest:
    invoice_id: int
    amount: Decimal
    method: str = "bank_transfer"
    currency: str | None = None
    reference: str | None = None
    received_at: datetime | None = None


async def record(*, session: AsyncSession, journal: Journal, request: PaymentRequest) -> Payment:
    """Allocate a payment to an invoice; the invoice becomes partially paid or paid."""
    moved = validation.money_moved(
        amount_given=request.amount,
        reference=request.reference,
        at=request.received_at,
        at_field="receivedAt",
        method=request.method,
        methods=PAYMENT_METHODS,
    )
    amount, reference, received_at = moved.amount, moved.reference, moved.at
    # Locked: two payments for the same invoice must see each other's amounts.
    invoice = await get_invoice(session, journal, request.invoice_id, field="invoice")
    _ensure_payable(invoice, request.currency)
    amounts = await receivables.amounts_of(session, invoice.id)
    due = amounts.due
    if amount > due:
        raise DomainError(
            "OVERPAYMENT", f"only {due} {invoice.currency} is due on {invoice.number}", "amount"
        )
    payment_id = await references.next_id(session, "erp.payment")
    payment = Payment(
        id=payment_id,
        number=f"PAY-{payment_id:08d}",
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        amount=amount,
        currency=invoice.currency,
        method=request.method,
        reference=reference,
        received_at=received_at,
    )
    session.add(payment)
    invoice.status = status_after_payment(invoice.total, amounts.paid + amount, amounts.credited)
    await session.flush()
    journal.record(
        "payment.recorded",
        entity_type="payment",
        entity_id=payment_id,
        customer_id=invoice.customer_id,
        changes={"invoice": invoice.number, "amount": amount, "invoice_status": invoice.status},
    )
    return payment


def _ensure_payable(invoice: Invoice, currency: str | None) -> None:
    INVOICE_MACHINE.next(invoice.status, "pay")  # a void or paid invoice takes no money
    if currency is not None and currency.strip().upper() != invoice.currency:
        raise DomainError(
            "CURRENCY_MISMATCH", f"{invoice.number} is billed in {invoice.currency}", "currency"
        )
