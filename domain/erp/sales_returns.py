"""Sales returns: delivered goods a customer sends back come into stock, and what of them
was invoiced is credited.

Goods come back at the cost they left with: per item of the order, the value its delivered
shipments took out of stock, shared over their units (cumulatively, so returning every unit
brings back exactly what left, whatever the rounding of each return). Never more units come
back than were delivered and not returned yet.

Returned units are credited when billing exceeds what the customer keeps: per order line,
at most the units returned, and no more than invoiced (net of earlier return credits) minus
what stays delivered. Units returned before they were invoiced are simply never billed
(`domain.erp.invoices` bills delivered − returned). The credit goes to the line's invoices,
newest first: one credit note per invoice, issued by `domain.erp.credit_notes` in the same
transaction.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import references, validation
from domain.core.errors import Problems
from domain.core.journal import Journal
from domain.core.money import ZERO, money
from domain.erp import credit_notes, stock_ledger
from domain.erp.models.credit_notes import SalesReturn, SalesReturnLine
from domain.erp.models.invoices import Invoice, InvoiceLine
from domain.erp.models.sales_orders import Delivery, SalesOrder, SalesOrderLine
from domain.erp.models.stock import StockMovement
from domain.erp.progress import (
    Returned,
    delivered_by_line,
    get_order,
    invoiced_by_line,
    order_lines,
    returned_by_line,
)

MAX_LINES = 500


@dataclass(frozen=True)
class ReturnLine:
    sales_order_line_id: int
    quantity: int


@dataclass(frozen=True)
class ReturnRequest:
    sales_order_id: int
    lines: Sequence[ReturnLine]
    reason: str


async def receive(
    *, session: AsyncSession, journal: Journal, request: ReturnRequest
) -> SalesReturn:
    """Take delivered goods back into stock at the cost they left with, and credit what of
    them was invoiced."""
    problems = Problems()
    reason = validation.text(problems, "reason", request.reason, max_length=500)
    _check_lines(problems, request.lines)
    problems.raise_if_any()
    order = await get_order(session, journal.actor, request.sales_order_id, field="salesOrder")
    lines = {line.id: line for line in await order_lines(session, order.id)}
    delivered = await delivered_by_line(session, order.id)
    returned = await returned_by_line(session, order.id)
    for position, wanted in enumerate(request.lines):
        line = lines.get(wanted.sales_order_line_id)
        if line is None:
            problems.add(f"lines.{position}.orderLine", "not a line of this order", "NOT_FOUND")
            continue
        left = delivered.get(line.id, 0) - returned.get(line.id, Returned()).quantity
        if wanted.quantity > left:
            problems.add(
                f"lines.{position}.quantity",
                f"only {left} delivered units of this line are not returned yet",
                "OVER_RETURN",
            )
    problems.raise_if_any()

    return_id = await references.next_id(session, "erp.sales_return")
    sales_return = SalesReturn(
        id=return_id,
        number=f"RT-{return_id:08d}",
        sales_order_id=order.id,
        customer_id=order.customer_id,
        warehouse_id=order.warehouse_id,
        reason=reason,
        received_at=datetime.now(UTC),
    )
    session.add(sales_return)
    values = await _values(session, order, lines, request.lines)
    credits = await _to_credit(session, order, lines, delivered, returned, request.lines)
    return_lines = [
        SalesReturnLine(
            sales_return_id=return_id,
            sales_order_line_id=wanted.sales_order_line_id,
            quantity=wanted.quantity,
            value=value,
        )
        for wanted, value in zip(request.lines, values, strict=True)
    ]
    session.add_all(return_lines)
    await session.flush()
    sales_return.stock_value = await stock_ledger.move(
        session=session,
        kind="return",
        changes=[
            stock_ledger.StockChange(
                lines[line.sales_order_line_id].stock_item_id,
                order.warehouse_id,
                line.quantity,
                field=f"lines.{position}.quantity",
                value=line.value,
            )
            for position, line in enumerate(return_lines)
        ],
        reference=stock_ledger.Reference(
            f"Returned: {sales_return.number} of order {order.number}",
            sales_order_id=order.id,
            employee_id=journal.actor.employee_id,
        ),
    )
    await session.flush()
    journal.record(
        "sales_return.received",
        entity_type="sales_return",
        entity_id=return_id,
        customer_id=order.customer_id,
        changes={
            "number": sales_return.number,
            "order": order.number,
            "units": sum(line.quantity for line in return_lines),
            "stock_value": sales_return.stock_value,
        },
    )
    await _credit(session, journal, sales_return, return_lines, credits)
    return sales_return


def _check_lines(problems: Problems, lines: Sequence[ReturnLine]) -> None:
    if not lines:
        problems.add("lines", "name at least one order line")
    elif len(lines) > MAX_LINES:
        problems.add("lines", f"at most {MAX_LINES} lines", "TOO_MANY_LINES")
    seen: set[int] = set()
    for position, line in enumerate(lines[:MAX_LINES]):
        validation.quantity(problems, f"lines.{position}.quantity", line.quantity)
        if line.sales_order_line_id in seen:
            problems.add(f"lines.{position}.orderLine", "this order line is named twice")
        seen.add(line.sales_order_line_id)


async def _values(
    session: AsyncSession,
    order: SalesOrder,
    lines: dict[int, SalesOrderLine],
    wanted: Sequence[ReturnLine],
) -> list[Decimal]:
    """What each line's units cost when they left: per item, the value its delivered
    shipments took, shared cumulatively over their units (units of the item returned
    before count first)."""
    shipped = {
        item_id: (int(units), Decimal(value))
        for item_id, units, value in await session.execute(
            select(
                StockMovement.stock_item_id,
                -func.sum(StockMovement.delta_on_hand),
                -func.sum(StockMovement.value),
            )
            .join(Delivery, Delivery.id == StockMovement.delivery_id)
            .where(
                StockMovement.sales_order_id == order.id,
                StockMovement.kind == "shipment",
                Delivery.status == "delivered",
            )
            .group_by(StockMovement.stock_item_id)
        )
    }
    back = defaultdict(
        int,
        {
            item_id: int(units)
            for item_id, units in await session.execute(
                select(SalesOrderLine.stock_item_id, func.sum(SalesReturnLine.quantity))
                .join(SalesOrderLine, SalesOrderLine.id == SalesReturnLine.sales_order_line_id)
                .where(SalesOrderLine.sales_order_id == order.id)
                .group_by(SalesOrderLine.stock_item_id)
            )
        },
    )
    values = []
    for line in wanted:
        item_id = lines[line.sales_order_line_id].stock_item_id
        units, value = shipped.get(item_id, (0, ZERO))
        if not units:
            values.append(ZERO)
            continue
        before = back[item_id]
        back[item_id] += line.quantity
        values.append(money(value * back[item_id] / units) - money(value * before / units))
    return values


async def _to_credit(
    session: AsyncSession,
    order: SalesOrder,
    lines: dict[int, SalesOrderLine],
    delivered: dict[int, int],
    returned: dict[int, Returned],
    wanted: Sequence[ReturnLine],
) -> dict[int, int]:
    """Units to credit per order line: billing beyond what the customer keeps, at most the
    units returned now."""
    invoiced = await invoiced_by_line(session, order.id)
    credit = {}
    for line in wanted:
        before = returned.get(line.sales_order_line_id, Returned())
        billed = invoiced.get(line.sales_order_line_id, 0) - before.credited
        kept = delivered.get(line.sales_order_line_id, 0) - before.quantity - line.quantity
        units = min(line.quantity, max(billed - kept, 0))
        if units:
            credit[line.sales_order_line_id] = units
    return credit


async def _credit(
    session: AsyncSession,
    journal: Journal,
    sales_return: SalesReturn,
    return_lines: list[SalesReturnLine],
    credits: dict[int, int],
) -> None:
    """Credit notes for the units to credit, spread over the lines' invoices newest first;
    the return line keeps how many were credited."""
    if not credits:
        return
    billed = await session.execute(
        select(InvoiceLine.id, InvoiceLine.sales_order_line_id, InvoiceLine.quantity, Invoice.id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            InvoiceLine.sales_order_line_id.in_(credits),
            Invoice.status.not_in(("void", "credited")),
        )
        .order_by(Invoice.issued_on.desc(), Invoice.id.desc())
    )
    rows = list(billed)
    taken = await credit_notes.credited_quantities(session, [row[0] for row in rows])
    per_invoice: dict[int, list[credit_notes.CreditLine]] = defaultdict(list)
    wanted = dict(credits)
    for invoice_line_id, order_line_id, quantity, invoice_id in rows:
        if order_line_id is None:
            continue
        units = min(wanted[order_line_id], quantity - taken.get(invoice_line_id, 0))
        if units > 0:
            per_invoice[invoice_id].append(credit_notes.CreditLine(invoice_line_id, units))
            wanted[order_line_id] -= units
    for invoice_id, credit_lines in per_invoice.items():
        await credit_notes.issue(
            session=session,
            journal=journal,
            request=credit_notes.CreditRequest(
                invoice_id=invoice_id,
                reason=f"Goods returned ({sales_return.number}): {sales_return.reason}"[:500],
                lines=credit_lines,
            ),
            sales_return_id=sales_return.id,
        )
    # Units nothing was left to credit for (credited before, by hand) stay uncredited here.
    for line in return_lines:
        order_line_id = line.sales_order_line_id
        line.credited_quantity = credits.get(order_line_id, 0) - wanted.get(order_line_id, 0)
    await session.flush()
