"""Editing an open order's lines: add a line, change a line's quantity, remove a line.

An order's lines can change until any of it ships (draft, placed or confirmed, and no
delivery yet: a delivery fixes what was ordered). The line added or changed is priced as a
new order would be today — the item's list price, the customer's tier, today's price list,
the quantity breaks of its new quantity, the order's tax rate — while the other lines keep
the prices they were taken at; the order's totals are summed again from its lines. An order
that holds stock (placed, confirmed) reserves or releases the difference in the same
transaction, and one that now costs more is checked against the customer's credit limit
again. Every edit moves the order's version and is audited with the line before and after.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import validation
from domain.core.errors import DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.crm import customers
from domain.crm.models import Customer
from domain.erp import credit, price_lists, pricing, sales_orders, stock_ledger
from domain.erp.models.sales_orders import Delivery, SalesOrder, SalesOrderLine
from domain.erp.order_states import reserves_stock

EDITABLE_STATUSES = ("draft", "placed", "confirmed")


@dataclass(frozen=True)
class _Open:
    """An order being edited, with what its edit needs."""

    order: SalesOrder
    customer: Customer
    lines: list[SalesOrderLine]


async def add(
    *,
    session: AsyncSession,
    journal: Journal,
    order_id: int,
    version: int,
    line: sales_orders.LineRequest,
) -> SalesOrder:
    """A new last line, priced today."""
    problems = Problems()
    validation.quantity(problems, "quantity", line.quantity)
    edit = await _open(session, journal, order_id, version, field="order")
    if len(edit.lines) >= sales_orders.MAX_LINES:
        problems.add(
            "stockItem",
            f"an order holds at most {sales_orders.MAX_LINES} lines",
            "TOO_MANY_LINES",
        )
    problems.raise_if_any()
    added = SalesOrderLine(
        sales_order_id=edit.order.id,
        line_no=max(existing.line_no for existing in edit.lines) + 1,
        stock_item_id=line.stock_item_id,
        quantity=line.quantity,
    )
    await _price(session, edit, added, "stockItem")
    session.add(added)
    await _reserve(session, journal, edit.order, added, line.quantity)
    return await _finish(session, journal, edit, [*edit.lines, added], "added", added, None)


async def change(
    *, session: AsyncSession, journal: Journal, line_id: int, version: int, quantity: int
) -> SalesOrder:
    """A line's new quantity, the line priced again for it today."""
    problems = Problems()
    validation.quantity(problems, "quantity", quantity)
    problems.raise_if_any()
    edit, line = await _open_at(session, journal, line_id, version)
    before = _described(line)
    delta = quantity - line.quantity
    line.quantity = quantity
    await _price(session, edit, line, "line")
    await _reserve(session, journal, edit.order, line, delta)
    return await _finish(session, journal, edit, edit.lines, "changed", line, before)


async def remove(
    *, session: AsyncSession, journal: Journal, line_id: int, version: int
) -> SalesOrder:
    """An order without this line (an order keeps at least one: cancel it instead). The
    other lines keep their numbers."""
    edit, line = await _open_at(session, journal, line_id, version)
    if len(edit.lines) == 1:
        raise DomainError(
            "EMPTY_ORDER", "an order keeps at least one line; cancel the order instead", "line"
        )
    await _reserve(session, journal, edit.order, line, -line.quantity)
    await session.execute(delete(SalesOrderLine).where(SalesOrderLine.id == line.id))
    rest = [other for other in edit.lines if other.id != line.id]
    return await _finish(session, journal, edit, rest, "removed", None, _described(line))


async def _open(
    session: AsyncSession, journal: Journal, order_id: int, version: int, *, field: str
) -> _Open:
    order = await sales_orders.for_change(session, journal, order_id, version, field=field)
    if order.status not in EDITABLE_STATUSES:
        raise DomainError(
            "INVALID_TRANSITION", f"the lines of a {order.status} order cannot change", field
        )
    shipped = await session.scalar(select(exists().where(Delivery.sales_order_id == order.id)))
    if shipped:
        raise DomainError(
            "ORDER_PARTLY_SHIPPED", "goods of this order have shipped; its lines are fixed", field
        )
    customer = await customers.get_visible(session, journal.actor, order.customer_id)
    lines = await session.scalars(
        select(SalesOrderLine)
        .where(SalesOrderLine.sales_order_id == order.id)
        .order_by(SalesOrderLine.line_no)
    )
    return _Open(order, customer, list(lines))


async def _open_at(
    session: AsyncSession, journal: Journal, line_id: int, version: int
) -> tuple[_Open, SalesOrderLine]:
    order_id = await session.scalar(
        select(SalesOrderLine.sales_order_id).where(SalesOrderLine.id == line_id)
    )
    if order_id is None:
        raise NotFound("order line", "line")
    # The order's record rules decide whether the line exists for this viewer.
    edit = await _open(session, journal, order_id, version, field="line")
    [line] = [line for line in edit.lines if line.id == line_id]
    return edit, line


async def _price(session: AsyncSession, edit: _Open, line: SalesOrderLine, field: str) -> None:
    """Price `line` as a new order would be priced today (the order's tax rate kept); an item
    no longer sold is a problem at `field`."""
    problems = Problems()
    request = sales_orders.LineRequest(line.stock_item_id, line.quantity)
    items = await sales_orders.sellable_items(
        session, [request], problems, field_of=lambda _: field
    )
    problems.raise_if_any()
    item = items[line.stock_item_id]
    today = datetime.now(UTC).date()
    rules = await price_lists.rules_for(session, currency=edit.order.currency, on=today)
    list_prices = await price_lists.list_prices(
        session, [item], currency=edit.order.currency, on=today
    )
    priced = pricing.price_line(
        list_price=list_prices[item.id],
        category=item.category,
        quantity=line.quantity,
        tier=edit.customer.tier,
        rules=rules,
        tax_rate=edit.order.tax_rate,
    )
    line.list_price = priced.list_price
    line.discount_percent = priced.discount_percent
    line.unit_price = priced.unit_price
    line.line_total = priced.line_total
    line.tax_amount = priced.tax_amount


async def _reserve(
    session: AsyncSession, journal: Journal, order: SalesOrder, line: SalesOrderLine, delta: int
) -> None:
    """Reserve (or release) `delta` more units of the line's item, if the order holds stock."""
    if delta == 0 or not reserves_stock(order.status):
        return
    await stock_ledger.move(
        session=session,
        kind="reservation" if delta > 0 else "release",
        changes=[
            stock_ledger.StockChange(
                line.stock_item_id, order.warehouse_id, delta_reserved=delta, field="quantity"
            )
        ],
        reference=stock_ledger.Reference(
            f"Order {order.number} changed",
            sales_order_id=order.id,
            employee_id=journal.actor.employee_id,
        ),
    )


async def _finish(
    session: AsyncSession,
    journal: Journal,
    edit: _Open,
    lines: Sequence[SalesOrderLine],
    what: str,
    after: SalesOrderLine | None,
    before: dict[str, object] | None,
) -> SalesOrder:
    """The order's totals summed again from its lines, its credit checked if it grew, its
    version moved and the edit audited."""
    order = edit.order
    previous_total = order.total
    totals = pricing.order_totals([_priced(line) for line in lines])
    order.subtotal = totals.subtotal
    order.discount_total = totals.discount_total
    order.tax_total = totals.tax_total
    order.total = totals.total
    if order.status != "draft" and order.total > previous_total:
        await credit.ensure_within_limit(
            session, edit.customer, order.total, exclude_order=order.id
        )
    await session.flush()
    await sales_orders.touch(session, order)
    journal.record(
        f"sales_order.line_{what}",
        entity_type="sales_order",
        entity_id=order.id,
        customer_id=order.customer_id,
        changes={
            "before": before,
            "after": _described(after) if after is not None else None,
            "total": [previous_total, order.total],
        },
    )
    return order


def _priced(line: SalesOrderLine) -> pricing.PricedLine:
    return pricing.PricedLine(
        list_price=line.list_price,
        quantity=line.quantity,
        discount_percent=line.discount_percent,
        unit_price=line.unit_price,
        line_total=line.line_total,
        tax_amount=line.tax_amount,
    )


def _described(line: SalesOrderLine) -> dict[str, object]:
    return {
        "line": line.line_no,
        "stockItemId": line.stock_item_id,
        "quantity": line.quantity,
        "unitPrice": line.unit_price,
        "lineTotal": line.line_total,
    }
