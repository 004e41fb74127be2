"""Quotes: an offer to a customer, priced exactly as an order taken today would be, valid
until a day; sent, then accepted (`domain.flows.quotes`: it becomes an order at the quoted
prices) or declined. A quote reserves nothing and checks no credit: the order it becomes
does both, when it is placed.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import archiving, assignments, references, validation
from domain.core.errors import Conflict, DomainError, NotFound, Problems
from domain.core.journal import Journal
from domain.crm import customers
from domain.crm.models import Customer
from domain.erp import pricing, sales_orders
from domain.erp.models.quotes import Quote, QuoteLine
from domain.erp.models.stock import Warehouse
from domain.erp.quote_states import QUOTE_MACHINE, current_status

DEFAULT_VALID_DAYS = 30
MAX_VALID_DAYS = 365
QUOTE_TABLE = Quote.__table__


@dataclass(frozen=True)
class QuoteRequest:
    customer_id: int
    lines: Sequence[sales_orders.LineRequest]
    valid_until: date | None = None  # default: DEFAULT_VALID_DAYS from today
    warehouse_id: int | None = None  # the order's warehouse once accepted (default: chosen then)
    sales_rep_id: int | None = None  # default: the customer's account manager
    notes: str | None = None


async def create(*, session: AsyncSession, journal: Journal, request: QuoteRequest) -> Quote:
    """A draft quote, priced for the customer's tier today."""
    problems = Problems()
    today = datetime.now(UTC).date()
    if not request.lines:
        problems.add("lines", "a quote needs at least one line", "EMPTY_ORDER")
    elif len(request.lines) > sales_orders.MAX_LINES:
        problems.add("lines", f"at most {sales_orders.MAX_LINES} lines", "TOO_MANY_LINES")
    for position, line in enumerate(request.lines[: sales_orders.MAX_LINES]):
        validation.quantity(problems, f"lines.{position}.quantity", line.quantity)
    notes = validation.text(
        problems, "notes", request.notes, max_length=sales_orders.NOTES_LIMIT, required=False
    )
    valid_until = validation.day(
        problems,
        "validUntil",
        request.valid_until or today + timedelta(days=DEFAULT_VALID_DAYS),
        earliest=today,
        latest=today + timedelta(days=MAX_VALID_DAYS),
    )
    customer = await customers.get_visible(session, journal.actor, request.customer_id)
    archiving.check_in_use(problems, customer, "customer", "customer")
    items = await sales_orders.sellable_items(session, request.lines, problems)
    if (
        request.warehouse_id is not None
        and await session.get(Warehouse, request.warehouse_id) is None
    ):
        problems.add("warehouse", "warehouse does not exist", "NOT_FOUND")
    try:
        sales_rep_id = (
            await references.active_employee(session, customer.account_manager_id, "salesRep")
            if request.sales_rep_id is None
            else await assignments.ensure_assignable(
                session, journal.actor, ("Quote", "salesRep"), request.sales_rep_id, "salesRep"
            )
        )
    except DomainError as error:
        problems.collect(error)
    problems.raise_if_any()
    assert valid_until is not None

    priced = await sales_orders.price_for(session, customer, items, request.lines, on=today)
    totals = pricing.order_totals(priced.lines)
    quote_id = await references.next_id(session, "erp.quote")
    quote = Quote(
        id=quote_id,
        number=f"QT-{quote_id:08d}",
        customer_id=customer.id,
        sales_rep_id=sales_rep_id,
        warehouse_id=request.warehouse_id,
        status="draft",
        currency=customer.currency,
        tax_rate=priced.tax_rate,
        subtotal=totals.subtotal,
        discount_total=totals.discount_total,
        tax_total=totals.tax_total,
        total=totals.total,
        valid_until=valid_until,
        notes=notes,
    )
    session.add(quote)
    session.add_all(
        QuoteLine(
            quote_id=quote_id,
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
    journal.record(
        "quote.created",
        entity_type="quote",
        entity_id=quote_id,
        customer_id=customer.id,
        changes={"number": quote.number, "total": quote.total, "valid_until": valid_until},
    )
    return quote


async def send(
    *, session: AsyncSession, journal: Journal, quote_id: int, version: int | None
) -> Quote:
    """The quote went to the customer: from now on it waits for an answer."""
    quote, status = await for_change(session, journal, quote_id, version)
    quote.status = QUOTE_MACHINE.next(status, "send")
    quote.sent_at = datetime.now(UTC)
    return await moved(session, journal, quote, "quote.sent", {"status": quote.status})


async def decline(
    *,
    session: AsyncSession,
    journal: Journal,
    quote_id: int,
    reason: str | None,
    version: int | None,
) -> Quote:
    """The customer said no."""
    problems = Problems()
    cleaned = validation.text(problems, "reason", reason, max_length=500, required=False)
    problems.raise_if_any()
    quote, status = await for_change(session, journal, quote_id, version)
    quote.status = QUOTE_MACHINE.next(status, "decline")
    quote.decided_at = datetime.now(UTC)
    quote.decline_reason = cleaned
    return await moved(
        session, journal, quote, "quote.declined", {"status": quote.status, "reason": cleaned}
    )


async def for_change(
    session: AsyncSession, journal: Journal, quote_id: int, version: int | None
) -> tuple[Quote, str]:
    """The quote, locked, if the actor may see its customer and it is still at `version` (if
    given); with its status as read today (`expired` once past its last valid day)."""
    row = (
        await session.execute(
            select(Quote, current_status(QUOTE_TABLE))
            .join(Customer, Customer.id == Quote.customer_id)
            .where(Quote.id == quote_id, journal.actor.customer_rule(Customer.account_manager_id))
            .with_for_update(of=Quote)
        )
    ).first()
    if row is None:
        raise NotFound("quote", "id")
    quote, status = row
    if version is not None and version != quote.version:
        raise Conflict("quote")
    return quote, status


async def lines_of(session: AsyncSession, quote_id: int) -> list[QuoteLine]:
    rows = await session.scalars(
        select(QuoteLine).where(QuoteLine.quote_id == quote_id).order_by(QuoteLine.line_no)
    )
    return list(rows)


async def moved(
    session: AsyncSession, journal: Journal, quote: Quote, topic: str, changes: dict[str, object]
) -> Quote:
    """A step of the quote's lifecycle taken: its version moves and the step is recorded."""
    quote.version += 1
    await session.flush()
    journal.record(
        topic,
        entity_type="quote",
        entity_id=quote.id,
        customer_id=quote.customer_id,
        changes=changes,
    )
    return quote
