"""Work orders: making a quantity of a manufactured item from its active bill of materials.

plan (components listed) → release (components reserved in the warehouse) → start →
report output and scrap as they happen (components consumed with them, finished units
received at the standard cost) → close (reservations left released, the variance
recorded) — or cancel (reservations released, nothing made). Every stock effect goes
through the stock ledger, so concurrent work orders and sales can never take the same
units; the ledger postings (work in progress) follow from the events."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import Conflict, DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.core.money import ZERO, money
from domain.erp import stock_ledger
from domain.erp.models.sales_orders import SalesOrderLine
from domain.erp.models.stock import StockItem, StockLevel, Warehouse
from domain.production import structure
from domain.production.models import Bom, BomLine, WorkOrder, WorkOrderComponent
from domain.production.states import WORK_ORDER_MACHINE


@dataclass(frozen=True)
class WorkOrderRequest:
    stock_item_id: int
    warehouse_id: int
    quantity: int
    due_on: date
    planned_start: date | None = None  # None: the due day less the BOM's lead time
    sales_order_line_id: int | None = None


async def plan(*, session: AsyncSession, journal: Journal, request: WorkOrderRequest) -> WorkOrder:
    """Plan making `quantity` units by the due day from the item's active BOM; nothing is
    reserved yet."""
    problems = Problems()
    validation.quantity(problems, "quantity", request.quantity)
    item = await session.get(StockItem, request.stock_item_id)
    if item is None:
        raise NotFound("stock item", "stockItem")
    bom = await session.scalar(
        select(Bom).where(Bom.stock_item_id == item.id, Bom.status == "active")
    )
    if bom is None:
        problems.add("stockItem", f"{item.sku} has no active bill of materials", "NOT_MANUFACTURED")
    if await session.get(Warehouse, request.warehouse_id) is None:
        problems.add("warehouse", "warehouse does not exist", "NOT_FOUND")
    today = date.today()
    validation.day(
        problems, "dueOn", request.due_on, earliest=today, latest=validation.years_from_today(2)
    )
    if request.sales_order_line_id is not None:
        wanted = await session.get(SalesOrderLine, request.sales_order_line_id)
        if wanted is None or wanted.stock_item_id != request.stock_item_id:
            problems.add("salesOrderLine", "no order line for this item", "NOT_FOUND")
    problems.raise_if_any()
    assert bom is not None
    start = request.planned_start or max(today, request.due_on - timedelta(bom.lead_time_days))
    if not today <= start <= request.due_on:
        problems.add("plannedStart", f"must be between {today} and the due day")
        problems.raise_if_any()

    order_id = await references.next_id(session, "production.work_order")
    order = WorkOrder(
        id=order_id,
        number=f"WO-{order_id:07d}",
        stock_item_id=item.id,
        bom_id=bom.id,
        warehouse_id=request.warehouse_id,
        status="planned",
        quantity=request.quantity,
        planned_start=start,
        due_on=request.due_on,
        unit_cost=bom.rolled_up_cost,
        sales_order_line_id=request.sales_order_line_id,
        created_by_id=journal.actor.employee_id,
    )
    session.add(order)
    await session.flush()
    lines = await session.scalars(
        select(BomLine).where(BomLine.bom_id == bom.id).order_by(BomLine.line_no)
    )
    for line in lines:
        per_unit = structure.per_unit(line.quantity, line.scrap_percent)
        session.add(
            WorkOrderComponent(
                work_order_id=order_id,
                line_no=line.line_no,
                component_id=line.component_id,
                quantity_per_unit=per_unit,
                quantity_required=math.ceil(per_unit * request.quantity),
            )
        )
    await session.flush()
    _record(journal, "work_order.planned", order, {"item": item.sku, "quantity": order.quantity})
    return order


async def release(
    *, session: AsyncSession, journal: Journal, work_order_id: int, version: int | None = None
) -> WorkOrder:
    """Reserve every component in the work order's warehouse; refused, with each short
    component named (INSUFFICIENT_STOCK), unless all of them are there."""
    order = await _locked(session, work_order_id, version)
    order.status = WORK_ORDER_MACHINE.next(order.status, "release")
    components = await _components(session, order)
    await _refuse_shortages(session, order, components)
    await _move(
        session,
        journal,
        order,
        "reservation",
        [(c, 0, c.quantity_required - c.quantity_reserved) for c in components],
        f"Reserved for {order.number}",
    )
    for component in components:
        component.quantity_reserved = component.quantity_required
    order.released_at = datetime.now(UTC)
    await _saved(session, order)
    _record(journal, "work_order.released", order, {"status": order.status})
    return order


async def start(
    *, session: AsyncSession, journal: Journal, work_order_id: int, version: int | None = None
) -> WorkOrder:
    """Production has begun: output and scrap may be reported."""
    order = await _locked(session, work_order_id, version)
    order.status = WORK_ORDER_MACHINE.next(order.status, "start")
    order.started_at = datetime.now(UTC)
    await _saved(session, order)
    _record(journal, "work_order.started", order, {"status": order.status})
    return order


async def report(
    *,
    session: AsyncSession,
    journal: Journal,
    work_order_id: int,
    produced: int,
    scrapped: int = 0,
    version: int | None = None,
) -> WorkOrder:
    """Units finished and units spoilt since the last report: the components they took
    are consumed (out of the reservation), the finished units come into stock at the
    standard cost."""
    order = await _locked(session, work_order_id, version)
    order.status = WORK_ORDER_MACHINE.next(order.status, "report")
    problems = Problems()
    validation.quantity(problems, "produced", produced, allow_zero=True)
    validation.quantity(problems, "scrapped", scrapped, allow_zero=True)
    if produced + scrapped <= 0:
        problems.add(
            "produced", "report at least one unit produced or scrapped", "NOTHING_REPORTED"
        )
    left = order.quantity - order.quantity_produced - order.quantity_scrapped
    if produced + scrapped > left:
        problems.add(
            "produced",
            f"only {left} of {order.quantity} units are still to be made",
            "OVER_REPORTED",
        )
    problems.raise_if_any()
    order.quantity_produced += produced
    order.quantity_scrapped += scrapped
    done = order.quantity_produced + order.quantity_scrapped
    components = await _components(session, order)
    consumption = []
    for component in components:
        # Consumed in proportion to the units done so far, whole units, never past what
        # the work order needs in all.
        target = min(component.quantity_required, math.ceil(component.quantity_per_unit * done))
        taken = max(target - component.quantity_consumed, 0)
        consumption.append((component, -taken, -taken))
        component.quantity_consumed += taken
        component.quantity_reserved -= taken
    consumed_value = -await _move(
        session, journal, order, "consumption", consumption, f"Consumed by {order.number}"
    )
    bom = await session.get(Bom, order.bom_id)
    assert bom is not None
    # Labour and overhead went into every unit worked on, the spoilt ones included.
    conversion = money(bom.conversion_cost * (produced + scrapped))
    output_value = money(order.unit_cost * produced) if produced else ZERO
    if produced:
        await stock_ledger.move(
            session=session,
            kind="production",
            changes=[
                stock_ledger.StockChange(
                    order.stock_item_id, order.warehouse_id, produced, value=output_value
                )
            ],
            reference=_reference(journal, order, f"Made by {order.number}"),
        )
    order.material_cost += consumed_value
    order.conversion_applied += conversion
    order.output_value += output_value
    await _saved(session, order)
    _record(
        journal,
        "work_order.reported",
        order,
        {
            "produced": produced,
            "scrapped": scrapped,
            "consumed_value": consumed_value,
            "conversion_value": conversion,
            "output_value": output_value,
        },
    )
    return order


async def close(
    *, session: AsyncSession, journal: Journal, work_order_id: int, version: int | None = None
) -> WorkOrder:
    """Finish the work order: components still reserved are released, and what is left
    in work in progress (consumed at cost and conversion absorbed, less output at
    standard) is its variance."""
    order = await _locked(session, work_order_id, version)
    order.status = WORK_ORDER_MACHINE.next(order.status, "close")
    if order.quantity_produced + order.quantity_scrapped == 0:
        raise DomainError(
            "NOTHING_REPORTED", "nothing was reported: cancel the work order instead", "id"
        )
    await _release_all(session, journal, order)
    order.variance = order.material_cost + order.conversion_applied - order.output_value
    order.closed_at = datetime.now(UTC)
    await _saved(session, order)
    _record(
        journal,
        "work_order.completed",
        order,
        {"produced": order.quantity_produced, "variance": order.variance},
    )
    return order


async def cancel(
    *, session: AsyncSession, journal: Journal, work_order_id: int, version: int | None = None
) -> WorkOrder:
    """Call the work order off before anything was made: its reservations are released."""
    order = await _locked(session, work_order_id, version)
    order.status = WORK_ORDER_MACHINE.next(order.status, "cancel")
    if order.quantity_produced + order.quantity_scrapped > 0:
        raise DomainError(
            "ALREADY_REPORTED",
            "output or scrap was reported: close the work order instead",
            "id",
        )
    await _release_all(session, journal, order)
    order.closed_at = datetime.now(UTC)
    await _saved(session, order)
    _record(journal, "work_order.cancelled", order, {"status": order.status})
    return order


async def _locked(session: AsyncSession, work_order_id: int, version: int | None) -> WorkOrder:
    order = await session.scalar(
        select(WorkOrder).where(WorkOrder.id == work_order_id).with_for_update()
    )
    if order is None:
        raise NotFound("work order", "id")
    if version is not None and order.version != version:
        raise Conflict("work order")
    return order


async def _components(session: AsyncSession, order: WorkOrder) -> list[WorkOrderComponent]:
    return list(
        await session.scalars(
            select(WorkOrderComponent)
            .where(WorkOrderComponent.work_order_id == order.id)
            .order_by(WorkOrderComponent.line_no)
        )
    )


async def _refuse_shortages(
    session: AsyncSession, order: WorkOrder, components: Sequence[WorkOrderComponent]
) -> None:
    """Every short component named at once; the ledger checks again under its locks."""
    rows = await session.execute(
        select(StockItem.id, StockItem.sku, StockLevel.on_hand - StockLevel.reserved)
        .outerjoin(
            StockLevel,
            (StockLevel.stock_item_id == StockItem.id)
            & (StockLevel.warehouse_id == order.warehouse_id),
        )
        .where(StockItem.id.in_([c.component_id for c in components]))
    )
    available = {item_id: (sku, units or 0) for item_id, sku, units in rows}
    problems = Problems()
    for position, component in enumerate(components):
        sku, units = available[component.component_id]
        wanted = component.quantity_required - component.quantity_reserved
        if units < wanted:
            problems.collect(
                stock_ledger.InsufficientStock(sku, units, wanted, f"components.{position}")
            )
    problems.raise_if_any()


async def _release_all(session: AsyncSession, journal: Journal, order: WorkOrder) -> None:
    components = await _components(session, order)
    await _move(
        session,
        journal,
        order,
        "release",
        [(c, 0, -c.quantity_reserved) for c in components],
        f"Released by {order.number}",
    )
    for component in components:
        component.quantity_reserved = 0


async def _move(
    session: AsyncSession,
    journal: Journal,
    order: WorkOrder,
    kind: str,
    deltas: Sequence[tuple[WorkOrderComponent, int, int]],
    reason: str,
) -> Decimal:
    """Move components (on hand, reserved) in the work order's warehouse; returns the
    change in stock value."""
    changes = [
        stock_ledger.StockChange(
            component.component_id,
            order.warehouse_id,
            on_hand,
            reserved,
            field=f"components.{component.line_no - 1}",
        )
        for component, on_hand, reserved in deltas
        if on_hand or reserved
    ]
    if not changes:
        return ZERO
    return await stock_ledger.move(
        session=session,
        kind=kind,
        changes=changes,
        reference=_reference(journal, order, reason),
    )


def _reference(journal: Journal, order: WorkOrder, reason: str) -> stock_ledger.Reference:
    return stock_ledger.Reference(
        reason, work_order_id=order.id, employee_id=journal.actor.employee_id
    )


async def _saved(session: AsyncSession, order: WorkOrder) -> None:
    order.version += 1
    await session.flush()


def _record(journal: Journal, topic: str, order: WorkOrder, changes: dict[str, object]) -> None:
    journal.record(
        topic,
        entity_type="work_order",
        entity_id=order.id,
        changes={"number": order.number, **changes},
    )
