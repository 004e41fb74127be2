"""Purchase orders: ordering stock from a supplier and receiving it, in part or in full."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import archiving, references, validation
from domain.core.errors import NotFound, Problems
from domain.core.journal import Journal
from domain.core.money import ZERO, money
from domain.erp import stock_ledger
from domain.erp.models.purchase_orders import PurchaseOrder, PurchaseOrderLine
from domain.erp.models.stock import StockItem, Supplier, Warehouse
from domain.erp.purchase_order_states import PURCHASE_ORDER_MACHINE, status_after_receipt

MAX_LINES = 500


@dataclass(frozen=True)
class PurchaseLine:
    stock_item_id: int
    quantity: int
    unit_cost: Decimal | None = None  # None: the item's current cost


@dataclass(frozen=True)
class PurchaseRequest:
    supplier_id: int
    warehouse_id: int
    lines: Sequence[PurchaseLine]
    expected_on: date | None = None
    draft: bool = False  # a draft is not sent yet (`place` sends it)


@dataclass(frozen=True)
class Receipt:
    stock_item_id: int
    quantity: int


async def create(
    *, session: AsyncSession, journal: Journal, request: PurchaseRequest
) -> PurchaseOrder:
    """Order stock from a supplier (or draft the order); expected by its lead time unless a
    date is given."""
    problems = Problems()
    if not request.lines:
        problems.add("lines", "a purchase order needs at least one line", "EMPTY_ORDER")
    elif len(request.lines) > MAX_LINES:
        problems.add(
            "lines", f"at most {MAX_LINES} lines (got {len(request.lines)})", "TOO_MANY_LINES"
        )
    supplier = await session.get(Supplier, request.supplier_id)
    if supplier is None:
        problems.add("supplier", "supplier does not exist", "NOT_FOUND")
    else:
        archiving.check_in_use(problems, supplier, "supplier", "supplier")
    if await session.get(Warehouse, request.warehouse_id) is None:
        problems.add("warehouse", "warehouse does not exist", "NOT_FOUND")
    today = date.today()
    validation.day(
        problems,
        "expectedOn",
        request.expected_on,
        earliest=today,
        latest=validation.years_from_today(2),
    )
    items = {
        item.id: item
        for item in await session.scalars(
            select(StockItem).where(
                StockItem.id.in_({line.stock_item_id for line in request.lines})
            )
        )
    }
    costs: list[Decimal] = []
    for position, line in enumerate(request.lines[:MAX_LINES]):
        validation.quantity(problems, f"lines.{position}.quantity", line.quantity)
        item = items.get(line.stock_item_id)
        if item is None:
            problems.add(f"lines.{position}.stockItem", "stock item does not exist", "NOT_FOUND")
            continue
        cost = validation.amount(problems, f"lines.{position}.unitCost", line.unit_cost)
        costs.append(cost if cost is not None else item.unit_cost)
    problems.raise_if_any()
    assert supplier is not None

    order_id = await references.next_id(session, "erp.purchase_order")
    total = sum(
        (money(cost * line.quantity) for cost, line in zip(costs, request.lines, strict=True)), ZERO
    )
    order = PurchaseOrder(
        id=order_id,
        number=f"PO-{order_id:07d}",
        supplier_id=supplier.id,
        warehouse_id=request.warehouse_id,
        status="draft" if request.draft else "ordered",
        total=total,
        ordered_at=datetime.now(UTC),
        expected_on=request.expected_on or today + timedelta(days=supplier.lead_time_days),
        created_by_id=journal.actor.employee_id,
    )
    session.add(order)
    session.add_all(
        PurchaseOrderLine(
            purchase_order_id=order_id,
            stock_item_id=line.stock_item_id,
            quantity=line.quantity,
            unit_cost=cost,
        )
        for line, cost in zip(request.lines, costs, strict=True)
    )
    await session.flush()
    journal.record(
        "purchase_order.drafted" if request.draft else "purchase_order.created",
        entity_type="purchase_order",
        entity_id=order_id,
        changes={"number": order.number, "supplier": supplier.code, "total": total},
    )
    return order


async def place(
    *, session: AsyncSession, journal: Journal, purchase_order_id: int
) -> PurchaseOrder:
    """Send a draft to its supplier: from now on it is expected, and goods may arrive."""
    order = await session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.id == purchase_order_id).with_for_update()
    )
    if order is None:
        raise NotFound("purchase order", "id")
    order.status = PURCHASE_ORDER_MACHINE.next(order.status, "order")
    order.ordered_at = datetime.now(UTC)
    await session.flush()
    journal.record(
        "purchase_order.created",
        entity_type="purchase_order",
        entity_id=order.id,
        changes={"number": order.number, "status": order.status},
    )
    return order


async def receive(
    *, session: AsyncSession, journal: Journal, purchase_order_id: int, receipts: Sequence[Receipt]
) -> PurchaseOrder:
    """Book goods that arrived into stock; the order is received once every unit is in."""
    order = await session.scalar(
        select(PurchaseOrder).where(PurchaseOrder.id == purchase_order_id).with_for_update()
    )
    if order is None:
        raise NotFound("purchase order", "id")
    PURCHASE_ORDER_MACHINE.next(order.status, "receive")
    lines = list(
        await session.scalars(
            select(PurchaseOrderLine)
            .where(PurchaseOrderLine.purchase_order_id == order.id)
            .order_by(PurchaseOrderLine.id)
        )
    )
    problems = Problems()
    if not receipts:
        problems.add("lines", "nothing received", "NOTHING_TO_RECEIVE")
    changes: list[stock_ledger.StockChange] = []
    for position, receipt in enumerate(receipts):
        field = f"lines.{position}"
        validation.quantity(problems, f"{field}.quantity", receipt.quantity)
        remaining = receipt.quantity
        value = ZERO
        # An item may appear on several lines: fill them in order, each at its own cost.
        for line in (
            candidate for candidate in lines if candidate.stock_item_id == receipt.stock_item_id
        ):
            take = max(min(remaining, line.quantity - line.quantity_received), 0)
            line.quantity_received += take
            remaining -= take
            value += money(take * line.unit_cost)
        if not any(line.stock_item_id == receipt.stock_item_id for line in lines):
            problems.add(
                f"{field}.stockItem", "this item is not on the purchase order", "NOT_FOUND"
            )
        elif remaining > 0:
            problems.add(
                f"{field}.quantity", f"{remaining} more than is outstanding", "OVER_RECEIPT"
            )
        changes.append(
            stock_ledger.StockChange(
                receipt.stock_item_id, order.warehouse_id, receipt.quantity, 0, value=value
            )
        )
    problems.raise_if_any()
    ordered = sum(line.quantity for line in lines)
    received = sum(line.quantity_received for line in lines)
    order.status = status_after_receipt(ordered, received)
    await session.flush()
    value = await stock_ledger.move(
        session=session,
        kind="receipt",
        changes=changes,
        reference=stock_ledger.Reference(
            f"Received on {order.number}",
            purchase_order_id=order.id,
            employee_id=journal.actor.employee_id,
        ),
    )
    journal.record(
        "purchase_order.received",
        entity_type="purchase_order",
        entity_id=order.id,
        changes={
            "status": order.status,
            "units": sum(r.quantity for r in receipts),
            "stock_value": value,
        },
    )
    return order
