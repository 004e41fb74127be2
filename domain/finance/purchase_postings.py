"""What buying posts: a supplier bill, its void, and a payment to a supplier, each in the
transaction of the event (registered like `domain.finance.posting_rules`).

A bill relieves goods received not invoiced (GRNI) of what its units' receipts credited, at
the order's cost; what the supplier charged beyond that cost is a price difference (a credit
when cheaper); the tax it shows is input VAT; the total is owed to the supplier (payable
lines name the supplier and the bill). Receipts book the order's cost as it stands, so in a
foreign currency the bill's value at its date's rate differs from what goods received holds
by more than the price: that difference is a price difference too.
"""

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.journal import Entry, Journal, in_transaction
from domain.core.money import ZERO, money
from domain.erp.models.purchase_orders import PurchaseOrder
from domain.finance import posting
from domain.finance.models import (
    Account,
    JournalLine,
    SupplierBill,
    SupplierBillLine,
    SupplierPayment,
)
from domain.finance.posting import Posting, credit, debit, in_currency, settlement
from domain.finance.rates import COMPANY_CURRENCY, rate_on


@in_transaction("supplier_bill.recorded")
async def bill_recorded(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """GRNI at the order's cost and price differences for the rest of the net; input VAT
    for the tax; the supplier's payable for the total."""
    bill = await session.get(SupplierBill, event.entity_id)
    assert bill is not None
    order = await session.get(PurchaseOrder, bill.purchase_order_id)
    assert order is not None
    lines = await session.scalars(
        select(SupplierBillLine).where(SupplierBillLine.supplier_bill_id == bill.id)
    )
    at_cost = sum((money(line.quantity * line.unit_cost) for line in lines), ZERO)
    rate = await rate_on(session, bill.currency, bill.bill_date, field="currency")
    payable = money(bill.total * rate)
    tax = money(bill.tax * rate)
    await posting.post(
        session,
        Posting(
            "PUR",
            bill.bill_date,
            f"Bill {bill.number} for {order.number}",
            [
                debit("goods_received", at_cost, supplier_id=bill.supplier_id),
                debit("price_differences", payable - tax - at_cost, supplier_id=bill.supplier_id),
                in_currency(bill.currency, bill.tax, debit("input_vat", tax)),
                in_currency(
                    bill.currency,
                    -bill.total,
                    credit(
                        "payable", payable, supplier_id=bill.supplier_id, supplier_bill_id=bill.id
                    ),
                ),
            ],
            event=event.topic,
            source=("supplier_bill", bill.id),
        ),
        employee_id=journal.actor.employee_id,
    )


@in_transaction("supplier_bill.voided")
async def bill_voided(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """The bill's entry, reversed on the day it was voided."""
    recorded = await posting.entry_of(
        session, ("supplier_bill", event.entity_id), "supplier_bill.recorded"
    )
    if recorded is not None:
        await posting.reverse(
            session,
            recorded,
            on=datetime.now(UTC).date(),
            employee_id=journal.actor.employee_id,
            event=event.topic,
        )


@in_transaction("supplier_payment.recorded")
async def supplier_payment_recorded(session: AsyncSession, journal: Journal, event: Entry) -> None:
    """The payable relieved at the rate the bill was booked at, the bank at the day's rate;
    the difference is an exchange gain or loss."""
    payment = await session.get(SupplierPayment, event.entity_id)
    assert payment is not None
    bill = await session.get(SupplierBill, payment.supplier_bill_id)
    assert bill is not None
    paid_on = payment.paid_at.astimezone(UTC).date()
    rate = await rate_on(session, payment.currency, paid_on, field="currency")
    bank = money(payment.amount * rate)
    relieved = await _relieved(session, payment, rate)
    await posting.post(
        session,
        Posting(
            "BNK",
            paid_on,
            f"Payment {payment.number} of bill {bill.number}",
            settlement(
                payment.currency,
                payment.amount,
                bank=bank,
                counter=debit(
                    "payable", relieved, supplier_id=payment.supplier_id, supplier_bill_id=bill.id
                ),
                received=False,
            ),
            event=event.topic,
            source=("supplier_payment", payment.id),
        ),
        employee_id=journal.actor.employee_id,
    )


async def _relieved(session: AsyncSession, payment: SupplierPayment, rate: Decimal) -> Decimal:
    """What a payment takes off the bill's payable in the company currency: its share of
    what is still open there, so the payment that settles the bill leaves nothing behind."""
    if payment.currency == COMPANY_CURRENCY:
        return payment.amount
    row = (
        await session.execute(
            select(
                func.sum(JournalLine.credit - JournalLine.debit).label("booked"),
                func.sum(-JournalLine.amount_currency).label("owed"),
            )
            .join(Account, Account.id == JournalLine.account_id)
            .where(
                JournalLine.supplier_bill_id == payment.supplier_bill_id,
                Account.purpose == "payable",
            )
        )
    ).one()
    if not row.owed:  # nothing booked on the bill: at the day's rate
        return money(payment.amount * rate)
    return money(row.booked * payment.amount / row.owed)
