"""Support tickets: opened by or for a customer (optionally about an order), assigned, worked
on, resolved, then closed or reopened."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import assignments, references, validation
from domain.core.errors import DomainError, InvalidTransition, NotFound, Problems
from domain.core.journal import Journal
from domain.crm.customers import get_visible
from domain.crm.models import Contact, Customer, Ticket
from domain.crm.ticket_states import TICKET_CATEGORIES, TICKET_MACHINE, TICKET_PRIORITIES


@dataclass(frozen=True)
class TicketRequest:
    customer_id: int
    subject: str
    category: str
    priority: str = "normal"
    description: str | None = None
    sales_order_id: int | None = None
    contact_id: int | None = None
    assignee_id: int | None = None


async def open_ticket(*, session: AsyncSession, journal: Journal, request: TicketRequest) -> Ticket:
    """Open a ticket; one about an order must name an order of the same customer."""
    problems = Problems()
    subject = validation.text(problems, "subject", request.subject, max_length=200)
    description = validation.text(
        problems, "description", request.description, max_length=10_000, required=False
    )
    if request.category not in TICKET_CATEGORIES:
        problems.add("category", f"must be one of {', '.join(TICKET_CATEGORIES)}")
    if request.priority not in TICKET_PRIORITIES:
        problems.add("priority", f"must be one of {', '.join(TICKET_PRIORITIES)}")
    customer = await get_visible(session, journal.actor, request.customer_id)
    if request.sales_order_id is not None:
        order = await references.fetch(
            session, "erp.sales_order", request.sales_order_id, ("customer_id",)
        )
        if order is None or order["customer_id"] != customer.id:
            problems.add("salesOrder", "not an order of this customer", "NOT_FOUND")
    if request.contact_id is not None:
        contact = await session.get(Contact, request.contact_id)
        if contact is None or contact.customer_id != customer.id:
            problems.add("contact", "not a contact of this customer", "NOT_FOUND")
    try:
        await assignments.ensure_assignable(
            session, journal.actor, ("Ticket", "assignee"), request.assignee_id, "assignee"
        )
    except DomainError as error:
        problems.collect(error)
    problems.raise_if_any()
    ticket_id = await references.next_id(session, "crm.ticket")
    ticket = Ticket(
        id=ticket_id,
        number=f"TCK-{ticket_id:07d}",
        customer_id=customer.id,
        contact_id=request.contact_id,
        sales_order_id=request.sales_order_id,
        assignee_id=request.assignee_id,
        subject=subject,
        description=description,
        category=request.category,
        priority=request.priority,
        status="open",
        opened_at=datetime.now(UTC),
    )
    session.add(ticket)
    await session.flush()
    journal.record(
        "ticket.opened",
        entity_type="ticket",
        entity_id=ticket_id,
        customer_id=customer.id,
        changes={
            "number": ticket.number,
            "category": request.category,
            "priority": request.priority,
        },
    )
    return ticket


async def resolve(
    *,
    session: AsyncSession,
    journal: Journal,
    ticket_id: int,
    resolution: str,
    satisfaction: int | None,
) -> Ticket:
    """Close the customer's problem with a written resolution (and, if asked, a rating)."""
    problems = Problems()
    cleaned = validation.text(problems, "resolution", resolution, max_length=10_000)
    if satisfaction is not None and not 1 <= satisfaction <= 5:
        problems.add("satisfaction", "must be between 1 and 5")
    problems.raise_if_any()
    ticket = await _for_change(session, journal, ticket_id)
    ticket.status = TICKET_MACHINE.next(ticket.status, "resolve")
    ticket.resolution, ticket.satisfaction = cleaned, satisfaction
    ticket.resolved_at = datetime.now(UTC)
    await session.flush()
    journal.record(
        "ticket.resolved",
        entity_type="ticket",
        entity_id=ticket.id,
        customer_id=ticket.customer_id,
        changes={"status": ticket.status, "satisfaction": satisfaction},
    )
    return ticket


# The move that leads to each status; resolving has its own call (it needs a resolution).
_ACTION_TO = {"in_progress": "start", "waiting": "wait", "open": "reopen", "closed": "close"}


async def move(*, session: AsyncSession, journal: Journal, ticket_id: int, status: str) -> Ticket:
    """Work on a ticket (in progress), wait for the customer, reopen a resolved one or close
    it, as `TICKET_MACHINE` allows. Reopened, it is no longer resolved (its last resolution
    stays readable until the next one, and in the audit log)."""
    ticket = await _for_change(session, journal, ticket_id)
    action = _ACTION_TO.get(status, f"move to {status.replace('_', ' ')}")
    before = ticket.status
    ticket.status = TICKET_MACHINE.next(ticket.status, action)
    if action == "reopen":
        ticket.resolved_at = None
    await session.flush()
    journal.record(
        f"ticket.{status}",
        entity_type="ticket",
        entity_id=ticket.id,
        customer_id=ticket.customer_id,
        changes={"status": {"from": before, "to": ticket.status}},
    )
    return ticket


async def assign(
    *, session: AsyncSession, journal: Journal, ticket_id: int, assignee_id: int | None
) -> Ticket:
    """Hand a ticket to someone in support (or to nobody); a closed ticket keeps its own."""
    ticket = await _for_change(session, journal, ticket_id)
    if TICKET_MACHINE.is_final(ticket.status):
        raise InvalidTransition("ticket", ticket.status, "reassign")
    if assignee_id is not None:
        await assignments.ensure_assignable(
            session, journal.actor, ("Ticket", "assignee"), assignee_id, "assignee"
        )
    if assignee_id != ticket.assignee_id:
        change = {"assignee_id": {"from": ticket.assignee_id, "to": assignee_id}}
        ticket.assignee_id = assignee_id
        await session.flush()
        journal.record(
            "ticket.assigned",
            entity_type="ticket",
            entity_id=ticket.id,
            customer_id=ticket.customer_id,
            changes=change,
        )
    return ticket


async def _for_change(session: AsyncSession, journal: Journal, ticket_id: int) -> Ticket:
    """The ticket, locked, if the actor's record rules let them see its customer."""
    ticket = await session.scalar(
        select(Ticket)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.id == ticket_id, journal.actor.customer_rule(Customer.account_manager_id))
        .with_for_update(of=Ticket)
    )
    if ticket is None:
        raise NotFound("ticket", "id")
    return ticket
