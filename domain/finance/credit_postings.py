"""What correcting a sale posts: a credit note, goods returned, a refund, each in the
transaction of the event (registered like `domain.finance.posting_rules`).

A credit note is the invoice's entry in reverse for what it takes back: sales returns and
credits for the net, output VAT for the tax, relieving the receivable (lines naming the
customer and invoice) by what the invoice still asked for. What it takes back beyond that
is owed to the customer, on refunds due. It is converted at the rate the invoice was booked
at, so the receivable goes back to exactly what the invoice still owes. Returned goods come
back into inventory at the cost they left with, against cost of goods sold, as after a
failed delivery. A refund pays what is due to the customer out of the bank: the bank at the
day's rate, refunds due at the invoice's rate, the difference an exchange gain or loss.
"""

from datetime import UTC, date
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.journal import Entry, Journal, in_transaction
from domain.core.money import money
from domain.erp.models.credit_notes import CreditNote, Refund, SalesReturn
from domain.finance import posting
from domain.finance.posting import Posting, converted, credit, debit, settlement
from domain.finance.posting_rules import _booked_rate, _post_stock, _stock_value
from domain.finance.rates import COMPANY_CURRENCY, rate_on


@in_transaction("credit_note.issued")
async def credit_note_issued(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """Sales returns for the net, output VAT for the tax; the receivable for what was still
    due, refunds due for the rest."""
    note = await session.get(CreditNote, event.entity_id)
    assert note is not None
    rate = await _rate(session, note.currency, note.invoice_id, note.issued_on)
    lines = converted(
        [
            debit("sales_returns", note.subtotal, customer_id=note.customer_id),
            debit("output_vat", note.tax_total),
            credit(
                "receivable",
                note.total - note.refund_amount,
                customer_id=note.customer_id,
                invoice_id=note.invoice_id,
            ),
            credit("refunds_due", note.refund_amount, customer_id=note.customer_id),
        ],
        note.currency,
        rate,
    )
    await posting.post(
        session,
        Posting(
            "SAL",
            note.issued_on,
            f"Credit note {note.number}",
            lines,
            event=event.topic,
            source=("credit_note", note.id),
        ),
        employee_id=journal.actor.employee_id,
    )


@in_transaction("sales_return.received")
async def goods_returned(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """Inventory against cost of goods sold, at the cost the goods left with."""
    value = _stock_value(event)
    sales_return = await session.get(SalesReturn, event.entity_id)
    assert sales_return is not None
    await _post_stock(
        session,
        journal,
        event,
        f"Returned: {sales_return.number}",
        [debit("inventory", value), credit("cost_of_goods_sold", value)],
    )


@in_transaction("refund.recorded")
async def refund_recorded(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """Refunds due at the rate the credit was booked at against the bank at the day's rate;
    the difference is an exchange gain or loss."""
    refund = await session.get(Refund, event.entity_id)
    assert refund is not None
    note = await session.get(CreditNote, refund.credit_note_id)
    assert note is not None
    paid_on = refund.paid_at.astimezone(UTC).date()
    rate = await rate_on(session, refund.currency, paid_on, field="currency")
    booked = await _rate(session, note.currency, note.invoice_id, note.issued_on)
    bank = money(refund.amount * rate)
    owed = money(refund.amount * booked)
    await posting.post(
        session,
        Posting(
            "BNK",
            paid_on,
            f"Refund {refund.number}",
            settlement(
                refund.currency,
                refund.amount,
                bank=bank,
                counter=debit("refunds_due", owed, customer_id=refund.customer_id),
                received=False,
            ),
            event=event.topic,
            source=("refund", refund.id),
        ),
        employee_id=journal.actor.employee_id,
    )


async def _rate(session: AsyncSession, currency: str, invoice_id: int, day: date) -> Decimal:
    """The rate the invoice's receivable was booked at (the day's rate for an invoice from
    before the books; 1 in the company currency)."""
    if currency != COMPANY_CURRENCY:
        booked = await _booked_rate(session, invoice_id)
        if booked is not None:
            return booked
    return await rate_on(session, currency, day, field="currency")
