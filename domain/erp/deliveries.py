"""Deliveries: shipping open quantities of an order, then recording arrival or failure.

Shipping takes the goods out of stock together with their reservation. A failed delivery
brings them back and reserves them for the order again, so they can be shipped anew.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.crm.models import Customer
from domain.erp import stock_ledger
from domain.erp.delivery_states import DELIVERY_MACHINE
from domain.erp.models.sales_orders import Delivery, DeliveryLine, SalesOrder
from domain.erp.models.stock import StockMovement
from domain.erp.order_states import ORDER_MACHINE, can_ship
from domain.erp.progress import delivered_by_line, get_order, order_lines, shipped_by_line


@dataclass(frozen=True)
class ShipLine:
    sales_order_line_id: int
    quantity: int


@dataclass(frozen=True)
class Shipment:
    sales_order_id: int
    lines: Sequence[ShipLine] | None = None  # None ships everything still open
    carrier: str | None = None
    tracking_number: str | None = None
    expected_at: datetime | None = None


async def create(*, session: AsyncSession, journal: Journal, shipment: Shipment) -> Delivery:
    """Ship some or all open quantities of a placed or confirmed order."""
    problems = Problems()
    carrier = validation.text(problems, "carrier", shipment.carrier, max_length=50, required=False)
    tracking = validation.text(
        problems, "trackingNumber", shipment.tracking_number, max_length=60, required=False
    )
    problems.raise_if_any()
    order = await get_order(session, journal.actor, shipment.sales_order_id, field="salesOrder")
    if not can_ship(order.status):
        raise DomainError("INVALID_TRANSITION", f"a {order.status} order cannot be shipped")
    lines = {line.id: line for line in await order_lines(session, order.id)}
    shipped = await shipped_by_line(session, order.id)
    open_quantity = {
        line_id: line.quantity - shipped.get(line_id, 0) for line_id, line in lines.items()
    }
    wanted = (
        [ShipLine(line_id, qty) for line_id, qty in open_quantity.items() if qty > 0]
        if shipment.lines is None
        else list(shipment.lines)
    )
    for position, line in enumerate(wanted):
        field = f"lines.{position}"
        if line.sales_order_line_id not in lines:
            problems.add(f"{field}.orderLine", "not a line of this order", "NOT_FOUND")
        elif not 0 < line.quantity <= open_quantity[line.sales_order_line_id]:
            problems.add(
                f"{field}.quantity",
                f"between 1 and {open_quantity[line.sales_order_line_id]} units are left to ship",
                "INVALID_QUANTITY",
            )
    if not wanted and not problems.errors:
        problems.add("lines", "everything of this order has been shipped", "NOTHING_TO_SHIP")
    problems.raise_if_any()

    delivery_id = await references.next_id(session, "erp.delivery")
    delivery = Delivery(
        id=delivery_id,
        number=f"DL-{delivery_id:08d}",
        sales_order_id=order.id,
        warehouse_id=order.warehouse_id,
        status="in_transit",
        carrier=carrier,
        tracking_number=tracking,
        shipped_at=datetime.now(UTC),
        expected_at=shipment.expected_at,
    )
    session.add(delivery)
    session.add_all(
        DeliveryLine(
            delivery_id=delivery_id,
            sales_order_line_id=line.sales_order_line_id,
            quantity=line.quantity,
        )
        for line in wanted
    )
    await session.flush()
    cost = await stock_ledger.move(
        session=session,
        kind="shipment",
        changes=[
            stock_ledger.StockChange(
                lines[line.sales_order_line_id].stock_item_id,
                order.warehouse_id,
                -line.quantity,
                -line.quantity,
            )
            for line in wanted
        ],
        reference=_reference(journal, order, delivery, "Shipped"),
    )
    journal.record(
        "delivery.created",
        entity_type="delivery",
        entity_id=delivery_id,
        customer_id=order.customer_id,
        changes={
            "number": delivery.number,
            "order": order.number,
            "units": sum(line.quantity for line in wanted),
            "stock_value": cost,
        },
    )
    return delivery


async def mark_delivered(
    *, session: AsyncSession, journal: Journal, delivery_id: int, delivered_at: datetime | None
) -> Delivery:
    """The customer received the goods; an order whose every unit arrived is fulfilled."""
    problems = Problems()
    arrived = validation.past_instant(problems, "deliveredAt", delivered_at)
    problems.raise_if_any()
    delivery, order = await _load(session, journal, delivery_id)
    if arrived < delivery.shipped_at:
        raise DomainError("VALIDATION", "must not be before the goods shipped", "deliveredAt")
    delivery.status = DELIVERY_MACHINE.next(delivery.status, "deliver")
    delivery.delivered_at = arrived
    await session.flush()
    delivered = await delivered_by_line(session, order.id)
    if all(
        delivered.get(line.id, 0) >= line.quantity for line in await order_lines(session, order.id)
    ):
        order.status = ORDER_MACHINE.next(order.status, "fulfil")
        order.version += 1
        order.updated_at = datetime.now(UTC)
    journal.record(
        "delivery.delivered",
        entity_type="delivery",
        entity_id=delivery.id,
        customer_id=order.customer_id,
        changes={"status": delivery.status, "order_status": order.status},
    )
    await session.flush()
    return delivery


async def mark_failed(
    *, session: AsyncSession, journal: Journal, delivery_id: int, reason: str
) -> Delivery:
    """The goods did not arrive and came back: they return to stock, reserved for the order."""
    problems = Problems()
    cleaned = validation.text(problems, "reason", reason, max_length=500)
    problems.raise_if_any()
    delivery, order = await _load(session, journal, delivery_id)
    delivery.status = DELIVERY_MACHINE.next(delivery.status, "fail")
    delivery.failed_at = datetime.now(UTC)
    delivery.failure_reason = cleaned
    # The goods come back at the cost they left with, item by item.
    shipped = await session.execute(
        select(
            StockMovement.stock_item_id,
            -func.sum(StockMovement.delta_on_hand),
            -func.sum(StockMovement.value),
        )
        .where(StockMovement.delivery_id == delivery.id, StockMovement.kind == "shipment")
        .group_by(StockMovement.stock_item_id)
    )
    value = await stock_ledger.move(
        session=session,
        kind="return",
        changes=[
            stock_ledger.StockChange(
                item_id, delivery.warehouse_id, units, units, value=shipped_value
            )
            for item_id, units, shipped_value in shipped
        ],
        reference=_reference(journal, order, delivery, "Returned after failed delivery"),
    )
    journal.record(
        "delivery.failed",
        entity_type="delivery",
        entity_id=delivery.id,
        customer_id=order.customer_id,
        changes={"status": delivery.status, "reason": cleaned, "stock_value": value},
    )
    return delivery


async def _load(
    session: AsyncSession, journal: Journal, delivery_id: int
) -> tuple[Delivery, SalesOrder]:
    # Lock the order first (as every order operation does), then the delivery.
    order_id = await session.scalar(
        select(Delivery.sales_order_id)
        .join(SalesOrder, SalesOrder.id == Delivery.sales_order_id)
        .join(Customer, Customer.id == SalesOrder.customer_id)
        .where(Delivery.id == delivery_id, journal.actor.customer_rule(Customer.account_manager_id))
    )
    if order_id is None:
        raise NotFound("delivery", "id")
    order = await get_order(session, journal.actor, order_id)
    delivery = await session.scalar(
        select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    )
    assert delivery is not None
    return delivery, order


def _reference(
    journal: Journal, order: SalesOrder, delivery: Delivery, what: str
) -> stock_ledger.Reference:
    return stock_ledger.Reference(
        f"{what}: {delivery.number} of order {order.number}",
        sales_order_id=order.id,
        delivery_id=delivery.id,
        employee_id=journal.actor.employee_id,
    )
