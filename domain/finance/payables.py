"""What is owed to a supplier on a bill, and how a bill matches its purchase order: the read
rules of payables, defined once for the API, the services and reconciliation.

- amount paid: the sum of the payments made against the bill;
- amount due: total minus amount paid, and nothing for a void bill;
- a bill is open until it is paid in part (partially paid) or in full (paid); only a bill
  without payments may be voided;
- per bill line, against its purchase order line as it stands now: units ordered, received,
  and billed on bills that are not void; what is not received yet (ordered − received) and
  what was received but is not billed yet (received − billed).
"""

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, any_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.money import ZERO
from domain.core.state_machine import StateMachine
from domain.erp.models.purchase_orders import PurchaseOrderLine
from domain.finance.models import BILL_STATUSES, SupplierBill, SupplierBillLine, SupplierPayment

BILL: Table = SupplierBill.__table__  # type: ignore[assignment]
BILL_LINE: Table = SupplierBillLine.__table__  # type: ignore[assignment]
PAYMENT: Table = SupplierPayment.__table__  # type: ignore[assignment]
ORDER_LINE: Table = PurchaseOrderLine.__table__  # type: ignore[assignment]

Expression = ColumnElement[Any]

BILL_MACHINE = StateMachine(
    "supplier bill",
    BILL_STATUSES,
    {
        "pay": {"open": "partially_paid", "partially_paid": "partially_paid"},
        "settle": {"open": "paid", "partially_paid": "paid"},
        "void": {"open": "void"},
    },
)


def status_after_payment(total: Decimal, paid: Decimal) -> str:
    """The status of a bill once `paid` of its `total` has been paid."""
    if paid <= 0:
        return "open"
    return "paid" if paid >= total else "partially_paid"


def amount_paid(bill: Any = BILL) -> Expression:
    """Payments made on `bill` (a correlated subquery on the payment's bill index)."""
    return func.coalesce(
        select(func.sum(PAYMENT.c.amount))
        .where(PAYMENT.c.supplier_bill_id == bill.c.id)
        .scalar_subquery(),
        ZERO,
    )


def amount_due(bill: Any = BILL) -> Expression:
    """Total minus payments; a void bill asks for nothing."""
    return case((bill.c.status == "void", ZERO), else_=bill.c.total - amount_paid(bill))


def bill_amounts(ids: Expression) -> Any:
    """Paid and due of the bills whose ids are in the array `ids`."""
    return select(BILL.c.id, amount_paid().label("paid"), amount_due().label("due")).where(
        BILL.c.id == any_(ids)
    )


def billed_quantity(order_line_id: Expression) -> Expression:
    """Units of a purchase order line billed on bills that are not void."""
    return func.coalesce(
        select(func.sum(BILL_LINE.c.quantity))
        .join(BILL, BILL.c.id == BILL_LINE.c.supplier_bill_id)
        .where(BILL_LINE.c.purchase_order_line_id == order_line_id, BILL.c.status != "void")
        .scalar_subquery(),
        0,
    )


def line_matching(ids: Expression) -> Any:
    """For the bill lines whose ids are in the array `ids`: their order line's units ordered,
    received and billed (over every bill that is not void), not yet received, and received
    but not yet billed."""
    billed = billed_quantity(ORDER_LINE.c.id)
    return (
        select(
            BILL_LINE.c.id,
            ORDER_LINE.c.quantity.label("ordered"),
            ORDER_LINE.c.quantity_received.label("received"),
            billed.label("billed"),
            (ORDER_LINE.c.quantity - ORDER_LINE.c.quantity_received).label("not_yet_received"),
            (ORDER_LINE.c.quantity_received - billed).label("received_not_billed"),
        )
        .join(ORDER_LINE, ORDER_LINE.c.id == BILL_LINE.c.purchase_order_line_id)
        .where(BILL_LINE.c.id == any_(ids))
    )


async def billed_by_line(session: AsyncSession, purchase_order_id: int) -> dict[int, int]:
    """Units billed so far per line of a purchase order, on bills that are not void."""
    rows = await session.execute(
        select(BILL_LINE.c.purchase_order_line_id, func.sum(BILL_LINE.c.quantity))
        .join(BILL, BILL.c.id == BILL_LINE.c.supplier_bill_id)
        .where(BILL.c.purchase_order_id == purchase_order_id, BILL.c.status != "void")
        .group_by(BILL_LINE.c.purchase_order_line_id)
    )
    return {line_id: int(units) for line_id, units in rows}


async def amount_paid_of(session: AsyncSession, bill_id: int) -> Decimal:
    """What has been paid on one bill."""
    paid = await session.scalar(select(amount_paid()).where(BILL.c.id == bill_id))
    return Decimal(paid or ZERO)


async def amount_due_of(session: AsyncSession, bill_id: int) -> Decimal:
    """What is still due on one bill (0 when it does not exist)."""
    due = await session.scalar(select(amount_due()).where(BILL.c.id == bill_id))
    return Decimal(due or ZERO)
