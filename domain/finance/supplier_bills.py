"""Supplier bills: a supplier's invoice for goods received on a purchase order, matched
against the order and its receipts (the three-way match), and voiding one entered in error.

A bill may bill only what was received and is not billed yet, line by line: more is refused
(`OVER_BILLING`), and nothing is written. What differs is reported, not refused: the
supplier's price against the order's cost (`price_difference` per line and per bill), and,
read from the order line as it stands, the units ordered but not received yet and received
but not billed yet (`domain.finance.payables.line_matching`). Amounts are sums of rounded
lines; the tax is the bill's rate on its net amount.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.core.money import ZERO, money
from domain.erp.models.purchase_orders import PurchaseOrder, PurchaseOrderLine
from domain.finance import payables
from domain.finance.models import SupplierBill, SupplierBillLine

DEFAULT_TERMS_DAYS = 30
MAX_TERMS_DAYS = 180
MAX_LINES = 500
# Input VAT is what the supplier charged: a rate per bill, 0 unless the bill shows tax.
MAX_TAX_RATE = Decimal("0.5")


@dataclass(frozen=True)
class BillLine:
    stock_item_id: int
    quantity: int
    unit_price: Decimal | None = None  # None: the order line's unit cost


@dataclass(frozen=True)
class BillRequest:
    purchase_order_id: int
    number: str
    lines: Sequence[BillLine]
    bill_date: date | None = None  # None: today
    due_in_days: int = DEFAULT_TERMS_DAYS
    tax_rate: Decimal = ZERO


@dataclass(frozen=True)
class _Billed:
    order_line: PurchaseOrderLine
    quantity: int
    unit_price: Decimal


async def record(*, session: AsyncSession, journal: Journal, request: BillRequest) -> SupplierBill:
    """Enter a supplier's bill for units received on a purchase order; it falls due after
    the supplier's terms, and its entry moves the goods from received-not-invoiced to owed."""
    problems = Problems()
    number = validation.text(problems, "number", request.number, max_length=40)
    today = date.today()
    bill_date = (
        validation.day(
            problems, "billDate", request.bill_date, earliest=validation.EARLIEST_DATE, latest=today
        )
        or today
    )
    if not 0 <= request.due_in_days <= MAX_TERMS_DAYS:
        problems.add("dueInDays", f"must be between 0 and {MAX_TERMS_DAYS}")
    tax_rate = _tax_rate(problems, request.tax_rate)
    if not request.lines:
        problems.add("lines", "a bill needs at least one line")
    elif len(request.lines) > MAX_LINES:
        problems.add(
            "lines", f"at most {MAX_LINES} lines (got {len(request.lines)})", "TOO_MANY_LINES"
        )
    for position, line in enumerate(request.lines[:MAX_LINES]):
        validation.quantity(problems, f"lines.{position}.quantity", line.quantity)
        validation.amount(problems, f"lines.{position}.unitPrice", line.unit_price)
    # Locked: receipts and other bills of the order must see each other's quantities.
    order = await session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.id == request.purchase_order_id).with_for_update()
    )
    if order is None:
        problems.add("purchaseOrder", "purchase order does not exist", "NOT_FOUND")
    problems.raise_if_any()
    assert order is not None and number is not None
    if await _number_taken(session, order.supplier_id, number):
        raise DomainError(
            "DUPLICATE", f"the supplier's bill {number} has been entered already", "number"
        )
    billed = await _match(session, order.id, request.lines)

    bill_id = await references.next_id(session, "finance.supplier_bill")
    nets = [money(b.quantity * b.unit_price) for b in billed]
    differences = [
        net - money(b.quantity * b.order_line.unit_cost)
        for b, net in zip(billed, nets, strict=True)
    ]
    net = sum(nets, ZERO)
    tax = money(net * tax_rate)
    bill = SupplierBill(
        id=bill_id,
        number=number,
        supplier_id=order.supplier_id,
        purchase_order_id=order.id,
        status="open",
        currency=order.currency,
        bill_date=bill_date,
        due_on=bill_date + timedelta(days=request.due_in_days),
        tax_rate=tax_rate,
        net=net,
        tax=tax,
        total=net + tax,
        price_difference=sum(differences, ZERO),
        created_by_id=journal.actor.employee_id,
    )
    session.add(bill)
    await session.flush()
    session.add_all(
        SupplierBillLine(
            supplier_bill_id=bill_id,
            purchase_order_line_id=b.order_line.id,
            stock_item_id=b.order_line.stock_item_id,
            quantity=b.quantity,
            unit_price=b.unit_price,
            unit_cost=b.order_line.unit_cost,
            net=line_net,
            price_difference=difference,
        )
        for b, line_net, difference in zip(billed, nets, differences, strict=True)
    )
    await session.flush()
    journal.record(
        "supplier_bill.recorded",
        entity_type="supplier_bill",
        entity_id=bill_id,
        changes={
            "number": number,
            "purchase_order": order.number,
            "total": bill.total,
            "price_difference": bill.price_difference,
        },
    )
    return bill


async def void(
    *, session: AsyncSession, journal: Journal, bill_id: int, reason: str
) -> SupplierBill:
    """Cancel a bill entered in error; its entry is reversed. A bill with payments stays."""
    problems = Problems()
    cleaned = validation.text(problems, "reason", reason, max_length=500)
    problems.raise_if_any()
    bill = await get_bill(session, bill_id, field="id")
    # The status follows the payments (under this lock): only an open bill has none.
    bill.status = payables.BILL_MACHINE.next(bill.status, "void")
    bill.voided_at = func.now()
    bill.void_reason = cleaned
    await session.flush()
    journal.record(
        "supplier_bill.voided",
        entity_type="supplier_bill",
        entity_id=bill.id,
        changes={"status": "void", "reason": cleaned},
    )
    return bill


async def get_bill(session: AsyncSession, bill_id: int, *, field: str) -> SupplierBill:
    """The bill, locked: payments and voiding serialise on it."""
    bill = await session.scalar(
        select(SupplierBill).where(SupplierBill.id == bill_id).with_for_update()
    )
    if bill is None:
        raise NotFound("supplier bill", field)
    return bill


async def _match(session: AsyncSession, order_id: int, lines: Sequence[BillLine]) -> list[_Billed]:
    """The order lines each requested line bills: an item on several order lines fills them
    in order, each up to what it received and has not billed yet; more is `OVER_BILLING`."""
    order_lines = list(
        await session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.purchase_order_id == order_id)
            .order_by(PurchaseOrderLine.id)
        )
    )
    billed = await payables.billed_by_line(session, order_id)
    open_units = {line.id: line.quantity_received - billed.get(line.id, 0) for line in order_lines}
    problems = Problems()
    matched: list[_Billed] = []
    for position, line in enumerate(lines):
        field = f"lines.{position}"
        candidates = [o for o in order_lines if o.stock_item_id == line.stock_item_id]
        if not candidates:
            problems.add(
                f"{field}.stockItem", "this item is not on the purchase order", "NOT_FOUND"
            )
            continue
        left = line.quantity
        for order_line in candidates:
            take = max(min(left, open_units[order_line.id]), 0)
            if take:
                price = order_line.unit_cost if line.unit_price is None else line.unit_price
                matched.append(_Billed(order_line, take, price))
                open_units[order_line.id] -= take
                left -= take
        if left > 0:
            problems.add(
                f"{field}.quantity",
                f"{left} more than was received and not yet billed",
                "OVER_BILLING",
            )
    problems.raise_if_any()
    return matched


async def _number_taken(session: AsyncSession, supplier_id: int, number: str) -> bool:
    return bool(
        await session.scalar(
            select(
                exists().where(
                    SupplierBill.supplier_id == supplier_id,
                    SupplierBill.number == number,
                    SupplierBill.status != "void",
                )
            )
        )
    )


def _tax_rate(problems: Problems, rate: Decimal) -> Decimal:
    try:
        exact = Decimal(rate)
        valid = exact.is_finite() and exact == exact.quantize(Decimal("0.0001"))
    except (InvalidOperation, ValueError):
        valid = False
    if not valid or not ZERO <= exact <= MAX_TAX_RATE:
        problems.add("taxRate", f"must be between 0 and {MAX_TAX_RATE}, at most 4 decimals")
        return ZERO
    return exact
