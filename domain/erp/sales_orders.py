"""Sales orders: placing (priced by the customer's tier, stock reserved), confirming,
cancelling and editing them.

Clients name items and quantities only; every price, discount, tax and total comes from
the server, so a client can never set what it pays.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import archiving, assignments, references, validation
from domain.core.errors import Conflict, DomainError, Problems
from domain.core.journal import Journal, apply_changes
from domain.crm import customers
from domain.crm.models import Customer
from domain.erp import credit, price_lists, pricing, stock_ledger, stock_position
from domain.erp.models.sales_orders import SalesOrder, SalesOrderLine
from domain.erp.models.stock import StockItem, StockLevel, Warehouse
from domain.erp.order_states import ORDER_MACHINE, reserves_stock
from domain.erp.progress import get_order, order_lines, shipped_by_line

MAX_LINES = 500
NOTES_LIMIT = 2000


@dataclass(frozen=True)
class LineRequest:
    stock_item_id: int
    quantity: int


@dataclass(frozen=True)
class Priced:
    """Lines priced for a customer: the tax rate and each line's prices, in request order."""

    tax_rate: Decimal
    lines: Sequence[pricing.PricedLine]


@dataclass(frozen=True)
class OrderRequest:
    customer_id: int
    lines: Sequence[LineRequest]
    warehouse_id: int | None = None
    sales_rep_id: int | None = None  # named by the client: checked as an assignment
    notes: str | None = None
    # Who is responsible when nobody is named (a won deal's owner); default: account manager.
    default_sales_rep_id: int | None = None
    # Prices promised before (an accepted quote), taken instead of today's.
    quoted: Priced | None = None


async def place(*, session: AsyncSession, journal: Journal, request: OrderRequest) -> SalesOrder:
    """Take an order: price it for the customer's tier and reserve its stock."""
    order = await _create(session, journal, request, status="placed")
    await _reserve(session, journal, order)
    journal.record(
        "sales_order.placed",
        entity_type="sales_order",
        entity_id=order.id,
        customer_id=order.customer_id,
        changes={"number": order.number, "total": order.total, "lines": len(request.lines)},
    )
    return order


async def create_draft(
    *, session: AsyncSession, journal: Journal, request: OrderRequest
) -> SalesOrder:
    """A priced order that reserves nothing until it is confirmed (e.g. from a won deal)."""
    order = await _create(session, journal, request, status="draft")
    journal.record(
        "sales_order.drafted",
        entity_type="sales_order",
        entity_id=order.id,
        customer_id=order.customer_id,
        changes={"number": order.number, "total": order.total},
    )
    return order


async def confirm(
    *, session: AsyncSession, journal: Journal, order_id: int, version: int | None
) -> SalesOrder:
    """Commit to deliver: a draft reserves its stock now, a placed order already holds it."""
    order = await for_change(session, journal, order_id, version)
    target = ORDER_MACHINE.next(order.status, "confirm")
    if order.status == "draft":
        customer = await customers.get_visible(session, journal.actor, order.customer_id)
        await credit.ensure_within_limit(session, customer, order.total, exclude_order=order.id)
        await _reserve(session, journal, order)
    order.status = target
    order.confirmed_at = datetime.now(UTC)
    await touch(session, order)
    journal.record(
        "sales_order.confirmed",
        entity_type="sales_order",
        entity_id=order.id,
        customer_id=order.customer_id,
        changes={"status": target},
    )
    return order


async def cancel(
    *,
    session: AsyncSession,
    journal: Journal,
    order_id: int,
    version: int | None,
    reason: str | None,
) -> SalesOrder:
    """Cancel an order nothing of which has shipped; its reservations are released."""
    order = await for_change(session, journal, order_id, version)
    problems = Problems()
    reason = validation.text(problems, "reason", reason, max_length=500, required=False)
    problems.raise_if_any()
    target = ORDER_MACHINE.next(order.status, "cancel")
    if any(await shipped_by_line(session, order.id)):
        raise DomainError(
            "ORDER_PARTLY_SHIPPED", "goods of this order are on their way; cancel not possible"
        )
    if reserves_stock(order.status):
        lines = await order_lines(session, order.id)
        await stock_ledger.move(
            session=session,
            kind="release",
            changes=[
                stock_ledger.StockChange(line.stock_item_id, order.warehouse_id, 0, -line.quantity)
                for line in lines
            ],
            reference=stock_ledger.Reference(
                f"Order {order.number} cancelled",
                sales_order_id=order.id,
                employee_id=journal.actor.employee_id,
            ),
        )
    order.status = target
    order.cancelled_at = datetime.now(UTC)
    await touch(session, order)
    journal.record(
        "sales_order.cancelled",
        entity_type="sales_order",
        entity_id=order.id,
        customer_id=order.customer_id,
        changes={"status": target, "reason": reason},
    )
    return order


async def update(
    *,
    session: AsyncSession,
    journal: Journal,
    order_id: int,
    version: int,
    given: Mapping[str, Any],
) -> SalesOrder:
    """Change an open order's notes or responsible sales rep."""
    order = await for_change(session, journal, order_id, version)
    if ORDER_MACHINE.is_final(order.status):
        raise DomainError("INVALID_TRANSITION", f"a {order.status} order cannot be edited")
    problems = Problems()
    values: dict[str, Any] = {}
    if "notes" in given:
        values["notes"] = validation.text(
            problems, "notes", given["notes"], max_length=NOTES_LIMIT, required=False
        )
    if "sales_rep_id" in given:
        try:
            values["sales_rep_id"] = await assignments.ensure_assignable(
                session,
                journal.actor,
                ("SalesOrder", "salesRep"),
                given["sales_rep_id"],
                "salesRep",
            )
        except DomainError as error:
            problems.collect(error)
    problems.raise_if_any()
    changes = apply_changes(order, values)
    if changes:
        await touch(session, order)
        journal.record(
            "sales_order.updated",
            entity_type="sales_order",
            entity_id=order.id,
            customer_id=order.customer_id,
            changes=changes,
        )
    return order


async def for_change(
    session: AsyncSession,
    journal: Journal,
    order_id: int,
    version: int | None,
    *,
    field: str = "id",
) -> SalesOrder:
    """The order, locked, if the actor may see it and it is still at `version` (if given)."""
    order = await get_order(session, journal.actor, order_id, field=field)
    if version is not None and version != order.version:
        raise Conflict("sales order")
    return order


async def touch(session: AsyncSession, order: SalesOrder) -> None:
    order.version += 1
    order.updated_at = datetime.now(UTC)
    await session.flush()


async def _create(
    session: AsyncSession, journal: Journal, request: OrderRequest, *, status: str
) -> SalesOrder:
    problems = Problems()
    if not request.lines:
        problems.add("lines", "an order needs at least one line", "EMPTY_ORDER")
    elif len(request.lines) > MAX_LINES:
        problems.add(
            "lines",
            f"at most {MAX_LINES} lines per order (got {len(request.lines)})",
            "TOO_MANY_LINES",
        )
    for position, line in enumerate(request.lines[:MAX_LINES]):
        validation.quantity(problems, f"lines.{position}.quantity", line.quantity)
    notes = validation.text(
        problems, "notes", request.notes, max_length=NOTES_LIMIT, required=False
    )
    customer = await customers.get_visible(session, journal.actor, request.customer_id)
    archiving.check_in_use(problems, customer, "customer", "customer")
    items = await sellable_items(session, request.lines, problems)
    warehouse_id = await _warehouse(session, request, problems)
    try:
        if request.sales_rep_id is None:
            sales_rep_id = await references.active_employee(
                session, request.default_sales_rep_id or customer.account_manager_id, "salesRep"
            )
        else:
            sales_rep_id = await assignments.ensure_assignable(
                session, journal.actor, ("SalesOrder", "salesRep"), request.sales_rep_id, "salesRep"
            )
    except DomainError as error:
        problems.collect(error)
    problems.raise_if_any()

    priced = request.quoted or await price_for(
        session, customer, items, request.lines, on=datetime.now(UTC).date()
    )
    tax_rate = priced.tax_rate
    totals = pricing.order_totals(priced.lines)
    if status != "draft":
        await credit.ensure_within_limit(session, customer, totals.total)

    order_id = await references.next_id(session, "erp.sales_order")
    now = datetime.now(UTC)
    order = SalesOrder(
        id=order_id,
        number=f"SO-{now.year}-{order_id:07d}",
        customer_id=customer.id,
        sales_rep_id=sales_rep_id,
        warehouse_id=warehouse_id,
        status=status,
        currency=customer.currency,
        tax_rate=tax_rate,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        tax_total=totals.tax_total,
        total=totals.total,
        notes=notes,
        ordered_at=now,
    )
    session.add(order)
    session.add_all(
        SalesOrderLine(
            sales_order_id=order_id,
            line_no=position + 1,
            stock_item_id=line.stock_item_id,
            quantity=line.quantity,
            list_price=price.list_price,
            discount_percent=price.discount_percent,
            unit_price=price.unit_price,
            line_total=price.line_total,
            tax_amount=price.tax_amount,
        )
        for position, (line, price) in enumerate(zip(request.lines, priced.lines, strict=True))
    )
    await session.flush()
    return order


async def price_for(
    session: AsyncSession,
    customer: Customer,
    items: Mapping[int, StockItem],
    lines: Sequence[LineRequest],
    *,
    on: date,
) -> Priced:
    """`lines` priced for `customer` as an order taken on `on` is: the item's list price in
    the customer's currency, the best rule of its tier in that currency's price list, the
    VAT of its country (NO_PRICE_LIST, NO_RATE when they cannot be)."""
    rules = await price_lists.rules_for(session, currency=customer.currency, on=on)
    list_prices = await price_lists.list_prices(
        session, items.values(), currency=customer.currency, on=on
    )
    tax_rate = pricing.tax_rate_for(customer.country)
    return Priced(
        tax_rate,
        [
            pricing.price_line(
                list_price=list_prices[line.stock_item_id],
                category=items[line.stock_item_id].category,
                quantity=line.quantity,
                tier=customer.tier,
                rules=rules,
                tax_rate=tax_rate,
            )
            for line in lines
        ],
    )


async def sellable_items(
    session: AsyncSession,
    lines: Sequence[LineRequest],
    problems: Problems,
    field_of: Callable[[int], str] = lambda position: f"lines.{position}.stockItem",
) -> dict[int, StockItem]:
    """The lines' items; a problem at `field_of(position)` for each that cannot be sold
    (missing, no longer sold). Items priced in another currency than the order's are
    converted (`price_lists.list_prices`)."""
    wanted = {line.stock_item_id for line in lines}
    found = {
        item.id: item
        for item in await session.scalars(select(StockItem).where(StockItem.id.in_(wanted)))
    }
    for position, line in enumerate(lines):
        item = found.get(line.stock_item_id)
        field = field_of(position)
        if item is None:
            problems.add(field, "stock item does not exist", "NOT_FOUND")
        elif not item.is_active or item.archived_at is not None:
            problems.add(field, f"{item.sku} is no longer sold")
    return found


async def _warehouse(session: AsyncSession, request: OrderRequest, problems: Problems) -> int:
    if request.warehouse_id is not None:
        if await session.get(Warehouse, request.warehouse_id) is None:
            problems.add("warehouse", "warehouse does not exist", "NOT_FOUND")
        return request.warehouse_id
    # Ship from the warehouse that can serve the most lines in full (then the lowest id).
    wanted: dict[int, int] = {}
    for line in request.lines:
        wanted[line.stock_item_id] = wanted.get(line.stock_item_id, 0) + line.quantity
    levels = await session.execute(
        select(
            StockLevel.warehouse_id,
            StockLevel.stock_item_id,
            stock_position.available(),
        ).where(StockLevel.stock_item_id.in_(wanted))
    )
    served: dict[int, int] = {}
    for warehouse_id, item_id, available in levels:
        served[warehouse_id] = served.get(warehouse_id, 0) + (available >= wanted[item_id])
    if served:
        return min(served, key=lambda warehouse_id: (-served[warehouse_id], warehouse_id))
    first = await session.scalar(select(func.min(Warehouse.id)))
    if first is None:
        problems.add("warehouse", "no warehouse exists yet", "NOT_FOUND")
        return 0
    return int(first)


async def _reserve(session: AsyncSession, journal: Journal, order: SalesOrder) -> None:
    lines = await order_lines(session, order.id)
    await stock_ledger.move(
        session=session,
        kind="reservation",
        changes=[
            stock_ledger.StockChange(
                line.stock_item_id,
                order.warehouse_id,
                delta_reserved=line.quantity,
                field=f"lines.{line.line_no - 1}.quantity",
            )
            for line in lines
        ],
        reference=stock_ledger.Reference(
            f"Reserved for order {order.number}",
            sales_order_id=order.id,
            employee_id=journal.actor.employee_id,
        ),
    )
