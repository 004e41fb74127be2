"""Credit notes: taking back part or all of what an invoice billed.

A credit note names units of the invoice's lines (credited at the price they were billed
at, with their tax) or an amount (a goodwill discount: net, taxed at the invoice's rate).
Nothing is credited twice: per line, never more units than were billed and not credited
yet; per invoice, never more net or tax than it billed and no earlier credit note took.

What a credit note takes back first reduces what the invoice still asks for
(`domain.erp.receivables.amount_due`). On an invoice already (partly) paid it may take back
more than is still due: that excess is owed to the customer (`refund_amount`) and paid out
by refunds (`domain.erp.refunds`). The invoice row is locked, as payments lock it, so a
payment and a credit note never both take what is due.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import DomainError, Problems
from domain.core.journal import Journal
from domain.core.money import ZERO, money
from domain.erp import receivables
from domain.erp.invoice_states import INVOICE_MACHINE, status_after_payment
from domain.erp.invoices import get_invoice
from domain.erp.models.credit_notes import CreditNote, CreditNoteLine
from domain.erp.models.invoices import Invoice, InvoiceLine
from domain.erp.models.sales_orders import SalesOrder

MAX_LINES = 500
RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class CreditLine:
    invoice_line_id: int
    quantity: int


@dataclass(frozen=True)
class CreditRequest:
    """Either `lines` (units of invoice lines) or `amount` (net, a goodwill credit)."""

    invoice_id: int
    reason: str
    lines: Sequence[CreditLine] | None = None
    amount: Decimal | None = None


@dataclass(frozen=True)
class _Credited:
    """What earlier credit notes took of one invoice line (or, summed, of the invoice)."""

    quantity: int = 0
    net: Decimal = ZERO
    tax: Decimal = ZERO


async def issue(
    *,
    session: AsyncSession,
    journal: Journal,
    request: CreditRequest,
    sales_return_id: int | None = None,
) -> CreditNote:
    """Credit part or all of an issued invoice; what exceeds the amount still due is owed
    back to the customer."""
    problems = Problems()
    reason = validation.text(problems, "reason", request.reason, max_length=500)
    amount = _check_request(problems, request)
    problems.raise_if_any()
    # Locked: payments and other credit notes of this invoice wait for this one.
    invoice = await get_invoice(session, journal, request.invoice_id, field="invoice")
    INVOICE_MACHINE.next(invoice.status, "credit")  # nothing to take back of a void invoice
    by_line, overall = await _credited(session, invoice.id)
    rate = await _tax_rate(session, invoice)
    if amount is not None:
        net, tax, lines = amount, _tax_of(amount, rate, invoice, overall), []
        field = "amount"
    else:
        assert request.lines is not None
        lines = await _lines(session, invoice, request.lines, by_line, rate)
        net = sum((line.line_total for line in lines), ZERO)
        tax = sum((line.tax_amount for line in lines), ZERO)
        field = "lines"
    if overall.net + net > invoice.subtotal or overall.tax + tax > invoice.tax_total:
        left = invoice.subtotal - overall.net
        raise DomainError(
            "OVER_CREDIT",
            f"only {left} {invoice.currency} net of {invoice.number} is not credited yet",
            field,
        )
    if net + tax <= 0:
        raise DomainError("VALIDATION", "a credit note must take back something", field)

    amounts = await receivables.amounts_of(session, invoice.id)
    total = net + tax
    credit_note_id = await references.next_id(session, "erp.credit_note")
    credit_note = CreditNote(
        id=credit_note_id,
        number=f"CN-{credit_note_id:08d}",
        invoice_id=invoice.id,
        customer_id=invoice.customer_id,
        sales_return_id=sales_return_id,
        currency=invoice.currency,
        issued_on=date.today(),
        reason=reason,
        subtotal=net,
        tax_total=tax,
        total=total,
        refund_amount=max(total - amounts.due, ZERO),
    )
    session.add(credit_note)
    for line in lines:
        line.credit_note_id = credit_note_id
    session.add_all(lines)
    invoice.status = status_after_payment(invoice.total, amounts.paid, amounts.credited + total)
    await session.flush()
    journal.record(
        "credit_note.issued",
        entity_type="credit_note",
        entity_id=credit_note_id,
        customer_id=invoice.customer_id,
        changes={
            "number": credit_note.number,
            "invoice": invoice.number,
            "total": total,
            "refund_due": credit_note.refund_amount,
            "invoice_status": invoice.status,
        },
    )
    return credit_note


async def credited_quantities(session: AsyncSession, invoice_line_ids: list[int]) -> dict[int, int]:
    """Units of each invoice line credit notes have taken back so far."""
    rows = await session.execute(
        select(CreditNoteLine.invoice_line_id, func.sum(CreditNoteLine.quantity))
        .where(CreditNoteLine.invoice_line_id.in_(invoice_line_ids))
        .group_by(CreditNoteLine.invoice_line_id)
    )
    return {line_id: int(units) for line_id, units in rows}


def _check_request(problems: Problems, request: CreditRequest) -> Decimal | None:
    if (request.lines is None) == (request.amount is None):
        problems.add("lines", "give either lines or an amount")
        return None
    if request.amount is not None:
        return validation.amount(problems, "amount", request.amount, allow_zero=False)
    assert request.lines is not None
    if not request.lines:
        problems.add("lines", "name at least one invoice line")
    elif len(request.lines) > MAX_LINES:
        problems.add("lines", f"at most {MAX_LINES} lines", "TOO_MANY_LINES")
    seen: set[int] = set()
    for position, line in enumerate(request.lines[:MAX_LINES]):
        validation.quantity(problems, f"lines.{position}.quantity", line.quantity)
        if line.invoice_line_id in seen:
            problems.add(f"lines.{position}.invoiceLine", "this invoice line is named twice")
        seen.add(line.invoice_line_id)
    return None


async def _credited(
    session: AsyncSession, invoice_id: int
) -> tuple[dict[int, _Credited], _Credited]:
    """What earlier credit notes of the invoice took, per invoice line and in all."""
    rows = await session.execute(
        select(
            CreditNoteLine.invoice_line_id,
            func.sum(CreditNoteLine.quantity),
            func.sum(CreditNoteLine.line_total),
            func.sum(CreditNoteLine.tax_amount),
        )
        .join(CreditNote, CreditNote.id == CreditNoteLine.credit_note_id)
        .where(CreditNote.invoice_id == invoice_id)
        .group_by(CreditNoteLine.invoice_line_id)
    )
    by_line = {row[0]: _Credited(int(row[1]), row[2], row[3]) for row in rows}
    totals = (
        await session.execute(
            select(
                func.coalesce(func.sum(CreditNote.subtotal), 0),
                func.coalesce(func.sum(CreditNote.tax_total), 0),
            ).where(CreditNote.invoice_id == invoice_id)
        )
    ).one()
    return by_line, _Credited(0, Decimal(totals[0]), Decimal(totals[1]))


async def _tax_rate(session: AsyncSession, invoice: Invoice) -> Decimal:
    """The rate the invoice was taxed at: its order's (an invoice without one: its own ratio)."""
    if invoice.sales_order_id is not None:
        rate = await session.scalar(
            select(SalesOrder.tax_rate).where(SalesOrder.id == invoice.sales_order_id)
        )
        if rate is not None:
            return Decimal(rate)
    if invoice.subtotal <= 0:
        return ZERO
    return (invoice.tax_total / invoice.subtotal).quantize(RATE_PLACES)


def _tax_of(net: Decimal, rate: Decimal, invoice: Invoice, credited: _Credited) -> Decimal:
    """Tax on a net amount credited: crediting all that is left takes all tax that is left,
    so rounding never leaves a cent of tax behind (or takes one too many)."""
    tax_left = invoice.tax_total - credited.tax
    if net == invoice.subtotal - credited.net:
        return tax_left
    return min(money(net * rate), tax_left)


async def _lines(
    session: AsyncSession,
    invoice: Invoice,
    wanted: Sequence[CreditLine],
    credited: dict[int, _Credited],
    rate: Decimal,
) -> list[CreditNoteLine]:
    billed = {
        line.id: line
        for line in await session.scalars(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
        )
    }
    problems = Problems()
    lines = []
    for position, request in enumerate(wanted):
        line = billed.get(request.invoice_line_id)
        if line is None:
            problems.add(
                f"lines.{position}.invoiceLine", f"not a line of {invoice.number}", "NOT_FOUND"
            )
            continue
        before = credited.get(line.id, _Credited())
        left = line.quantity - before.quantity
        if request.quantity > left:
            problems.add(
                f"lines.{position}.quantity",
                f"only {left} of the {line.quantity} units billed on this line are not "
                "credited yet",
                "OVER_CREDIT",
            )
            continue
        net = money(line.unit_price * request.quantity)
        tax_left = line.tax_amount - before.tax
        # The last units of a line take what is left of its tax (rounding stays on the line).
        tax = tax_left if request.quantity == left else min(money(net * rate), tax_left)
        lines.append(
            CreditNoteLine(
                invoice_line_id=line.id,
                description=line.description,
                quantity=request.quantity,
                unit_price=line.unit_price,
                line_total=net,
                tax_amount=tax,
            )
        )
    problems.raise_if_any()
    return lines
