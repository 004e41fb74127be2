"""What each business event posts to the ledger, in the transaction of the event itself.

Every rule is registered with `domain.core.journal.in_transaction` for the event's topic,
so whichever surface performs the operation, the entry commits with it or not at all.
Amounts come from the documents as stored (never from a client); stock moves at the cost
`domain.erp.stock_ledger` computed for them (the `stock_value` of the event).
"""

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.journal import Entry, Journal, in_transaction
from domain.core.money import ZERO, money
from domain.erp.models.invoices import Invoice, Payment
from domain.erp.models.purchase_orders import PurchaseOrder
from domain.erp.models.sales_orders import Delivery
from domain.finance import posting
from domain.finance.models import JournalLine
from domain.finance.posting import Posting, converted, credit, debit, settlement
from domain.finance.rates import COMPANY_CURRENCY, rate_on


def _today() -> date:
    return datetime.now(UTC).date()


@in_transaction("invoice.issued")
async def invoice_issued(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """Receivable for the total; revenue for the net amount; output VAT for the tax."""
    invoice = await session.get(Invoice, event.entity_id)
    assert invoice is not None
    rate = await rate_on(session, invoice.currency, invoice.issued_on, field="currency")
    lines = converted(
        [
            debit(
                "receivable",
                invoice.total,
                customer_id=invoice.customer_id,
                invoice_id=invoice.id,
            ),
            credit("revenue", invoice.subtotal, customer_id=invoice.customer_id),
            credit("output_vat", invoice.tax_total),
        ],
        invoice.currency,
        rate,
    )
    await posting.post(
        session,
        Posting(
            "SAL",
            invoice.issued_on,
            f"Invoice {invoice.number}",
            lines,
            event=event.topic,
            source=("invoice", invoice.id),
        ),
        employee_id=journal.actor.employee_id,
    )


@in_transaction("invoice.voided")
async def invoice_voided(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """The invoice's entry, reversed on the day it was voided."""
    issued = await posting.entry_of(session, ("invoice", event.entity_id), "invoice.issued")
    if issued is not None:  # an invoice from before the books has nothing to reverse
        await posting.reverse(
            session,
            issued,
            on=_today(),
            employee_id=journal.actor.employee_id,
            event=event.topic,
        )


@in_transaction("payment.recorded")
async def payment_recorded(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """Bank at the day's rate; the receivable relieved at the rate the invoice was booked at;
    the difference is an exchange gain or loss."""
    payment = await session.get(Payment, event.entity_id)
    assert payment is not None
    received_on = payment.received_at.astimezone(UTC).date()
    rate = await rate_on(session, payment.currency, received_on, field="currency")
    booked = (
        rate
        if payment.currency == COMPANY_CURRENCY
        else await _booked_rate(session, payment.invoice_id) or rate
    )
    bank = money(payment.amount * rate)
    relieved = money(payment.amount * booked)
    await posting.post(
        session,
        Posting(
            "BNK",
            received_on,
            f"Payment {payment.number}",
            settlement(
                payment.currency,
                payment.amount,
                bank=bank,
                counter=credit(
                    "receivable",
                    relieved,
                    customer_id=payment.customer_id,
                    invoice_id=payment.invoice_id,
                ),
                received=True,
            ),
            event=event.topic,
            source=("payment", payment.id),
        ),
        employee_id=journal.actor.employee_id,
    )


@in_transaction("delivery.created", "delivery.failed")
async def goods_shipped_or_returned(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """Cost of goods sold against inventory, at the moving average cost of what moved."""
    value = _stock_value(event)
    delivery = await session.get(Delivery, event.entity_id)
    assert delivery is not None
    shipped = event.topic == "delivery.created"
    await _post_stock(
        session,
        journal,
        event,
        f"{'Shipped' if shipped else 'Returned'}: {delivery.number}",
        [debit("inventory", value), credit("cost_of_goods_sold", value)],
    )


@in_transaction("purchase_order.received")
async def goods_received(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """Inventory at purchase cost against goods received not invoiced, until the bill comes."""
    value = _stock_value(event)
    order = await session.get(PurchaseOrder, event.entity_id)
    assert order is not None
    await _post_stock(
        session,
        journal,
        event,
        f"Received on {order.number}",
        [debit("inventory", value), credit("goods_received", value, supplier_id=order.supplier_id)],
    )


@in_transaction("stock.adjusted")
async def stock_adjusted(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """Found units are a gain, lost ones shrinkage, at the moving average cost."""
    value = _stock_value(event)
    other = "stock_gain" if value > 0 else "shrinkage"
    await _post_stock(
        session,
        journal,
        event,
        f"Stock adjustment: {event.changes.get('reason', '')}",
        [debit("inventory", value), credit(other, value)],
    )


async def _post_stock(
    session: AsyncSession,
    journal: Journal,
    event: Entry,
    description: str,
    lines: list[posting.Line],
) -> None:
    await posting.post(
        session,
        Posting(
            "STK",
            _today(),
            description,
            lines,
            event=event.topic,
            source=(event.entity_type, event.entity_id),
        ),
        employee_id=journal.actor.employee_id,
    )


def _stock_value(event: Entry) -> Decimal:
    return Decimal(str(event.changes.get("stock_value", ZERO)))


async def _booked_rate(session: AsyncSession, invoice_id: int) -> Decimal | None:
    """The rate the invoice's receivable was booked at, from its entry."""
    row = (
        await session.execute(
            select(JournalLine.debit, JournalLine.amount_currency)
            .where(JournalLine.invoice_id == invoice_id, JournalLine.debit > 0)
            .order_by(JournalLine.id)
            .limit(1)
        )
    ).first()
    if row is None or not row.amount_currency:
        return None
    return row.debit / row.amount_currency
