"""Invoices: billing an order's delivered (or confirmed) quantities, and voiding mistakes.

Each invoice line carries the order line's price, so an invoice always bills what the
customer was promised; totals are sums of rounded lines, like the order's.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.core.money import ZERO, money
from domain.crm.models import Customer
from domain.erp import receivables
from domain.erp.invoice_states import ensure_voidable
from domain.erp.models.invoices import Invoice, InvoiceLine
from domain.erp.progress import (
    delivered_by_line,
    get_order,
    invoiced_by_line,
    order_lines,
    returned_by_line,
)

# Which quantities an invoice may bill: what arrived, or what the customer firmly ordered.
BASES = ("delivered", "ordered")
# Orders whose ordered quantities may be billed in advance (a confirmed commitment).
BILLABLE_WHEN_ORDERED = ("confirmed", "fulfilled")
DEFAULT_TERMS_DAYS = 30
MAX_TERMS_DAYS = 180


@dataclass(frozen=True)
class InvoiceRequest:
    sales_order_id: int
    basis: str = "delivered"
    due_in_days: int = DEFAULT_TERMS_DAYS


async def issue(*, session: AsyncSession, journal: Journal, request: InvoiceRequest) -> Invoice:
    """Bill what has not been billed yet of an order, on the chosen basis."""
    problems = Problems()
    if request.basis not in BASES:
        problems.add("basis", f"must be one of {', '.join(BASES)}")
    if not 0 <= request.due_in_days <= MAX_TERMS_DAYS:
        problems.add("dueInDays", f"must be between 0 and {MAX_TERMS_DAYS}")
    problems.raise_if_any()
    order = await get_order(session, journal.actor, request.sales_order_id, field="salesOrder")
    if order.status in ("draft", "cancelled"):
        raise DomainError("INVALID_TRANSITION", f"a {order.status} order cannot be invoiced")
    if request.basis == "ordered" and order.status not in BILLABLE_WHEN_ORDERED:
        raise DomainError(
            "INVALID_TRANSITION", "only confirmed orders may be invoiced before delivery", "basis"
        )
    lines = await order_lines(session, order.id)
    billable = (
        await delivered_by_line(session, order.id)
        if request.basis == "delivered"
        else {line.id: line.quantity for line in lines}
    )
    invoiced = await invoiced_by_line(session, order.id)
    # Units that came back are not billed; those a return credited are billed no more.
    for line_id, returned in (await returned_by_line(session, order.id)).items():
        billable[line_id] = billable.get(line_id, 0) - returned.quantity
        invoiced[line_id] = invoiced.get(line_id, 0) - returned.credited
    to_bill = [
        (line, billable.get(line.id, 0) - invoiced.get(line.id, 0))
        for line in lines
        if billable.get(line.id, 0) > invoiced.get(line.id, 0)
    ]
    if not to_bill:
        raise DomainError(
            "NOTHING_TO_INVOICE", f"nothing {request.basis} is left to invoice", "salesOrder"
        )

    invoice_id = await references.next_id(session, "erp.invoice")
    issued_on = date.today()
    amounts = [(line, quantity, money(line.unit_price * quantity)) for line, quantity in to_bill]
    taxes = [money(total * order.tax_rate) for _, _, total in amounts]
    subtotal = sum((total for _, _, total in amounts), ZERO)
    tax_total = sum(taxes, ZERO)
    invoice = Invoice(
        id=invoice_id,
        number=f"INV-{invoice_id:08d}",
        customer_id=order.customer_id,
        sales_order_id=order.id,
        status="issued",
        currency=order.currency,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=request.due_in_days),
        subtotal=subtotal,
        tax_total=tax_total,
        total=subtotal + tax_total,
    )
    session.add(invoice)
    session.add_all(
        InvoiceLine(
            invoice_id=invoice_id,
            sales_order_line_id=line.id,
            description=f"Order {order.number} line {line.line_no}",
            quantity=quantity,
            unit_price=line.unit_price,
            line_total=total,
            tax_amount=tax,
        )
        for (line, quantity, total), tax in zip(amounts, taxes, strict=True)
    )
    await session.flush()
    journal.record(
        "invoice.issued",
        entity_type="invoice",
        entity_id=invoice_id,
        customer_id=order.customer_id,
        changes={"number": invoice.number, "order": order.number, "total": invoice.total},
    )
    return invoice


async def void(*, session: AsyncSession, journal: Journal, invoice_id: int, reason: str) -> Invoice:
    """Cancel an invoice issued in error; one that has been paid must be credited instead."""
    problems = Problems()
    cleaned = validation.text(problems, "reason", reason, max_length=500)
    problems.raise_if_any()
    invoice = await get_invoice(session, journal, invoice_id, field="id")
    ensure_voidable(
        invoice.status,
        await receivables.amount_paid_of(session, invoice.id),
        await receivables.amount_credited_of(session, invoice.id),
    )
    invoice.status = "void"
    invoice.voided_at = func.now()
    invoice.void_reason = cleaned
    await session.flush()
    journal.record(
        "invoice.voided",
        entity_type="invoice",
        entity_id=invoice.id,
        customer_id=invoice.customer_id,
        changes={"status": "void", "reason": cleaned},
    )
    return invoice


async def get_invoice(
    session: AsyncSession, journal: Journal, invoice_id: int, *, field: str
) -> Invoice:
    """The invoice, locked (payments and voiding serialise on it), if its customer is visible."""
    invoice = await session.scalar(
        select(Invoice)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.id == invoice_id, journal.actor.customer_rule(Customer.account_manager_id))
        .with_for_update(of=Invoice)
    )
    if invoice is None:
        raise NotFound("invoice", field)
    return invoice
