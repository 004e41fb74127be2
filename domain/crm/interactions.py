"""Interactions: calls, emails, meetings and chats logged against a customer."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core import assignments, references, validation
from domain.core.errors import DomainError, Problems
from domain.core.journal import Journal
from domain.crm.customers import get_visible
from domain.crm.models import Campaign, Contact, Interaction
from domain.crm.vocabulary import INTERACTION_CHANNELS, INTERACTION_DIRECTIONS


@dataclass(frozen=True)
class InteractionRequest:
    customer_id: int
    channel: str
    subject: str
    direction: str = "outbound"
    notes: str | None = None
    occurred_at: datetime | None = None
    contact_id: int | None = None
    employee_id: int | None = None  # None: whoever logs it
    campaign_id: int | None = None


async def log(
    *, session: AsyncSession, journal: Journal, request: InteractionRequest
) -> Interaction:
    """Record that someone was in touch with a customer."""
    problems = Problems()
    subject = validation.text(problems, "subject", request.subject, max_length=200)
    notes = validation.text(problems, "notes", request.notes, max_length=10_000, required=False)
    occurred_at = validation.past_instant(problems, "occurredAt", request.occurred_at)
    if request.channel not in INTERACTION_CHANNELS:
        problems.add("channel", f"must be one of {', '.join(INTERACTION_CHANNELS)}")
    if request.direction not in INTERACTION_DIRECTIONS:
        problems.add("direction", f"must be one of {', '.join(INTERACTION_DIRECTIONS)}")
    customer = await get_visible(session, journal.actor, request.customer_id)
    if request.contact_id is not None:
        contact = await session.get(Contact, request.contact_id)
        if contact is None or contact.customer_id != customer.id:
            problems.add("contact", "not a contact of this customer", "NOT_FOUND")
    if request.campaign_id is not None and await session.get(Campaign, request.campaign_id) is None:
        problems.add("campaign", "campaign does not exist", "NOT_FOUND")
    employee_id = request.employee_id or journal.actor.employee_id
    try:
        if request.employee_id is None:
            await references.active_employee(session, employee_id, "employee")
        else:
            await assignments.ensure_assignable(
                session, journal.actor, ("Interaction", "employee"), employee_id, "employee"
            )
    except DomainError as error:
        problems.collect(error)
    problems.raise_if_any()
    interaction = Interaction(
        customer_id=customer.id,
        contact_id=request.contact_id,
        employee_id=employee_id,
        campaign_id=request.campaign_id,
        channel=request.channel,
        direction=request.direction,
        subject=subject,
        notes=notes,
        occurred_at=occurred_at,
    )
    session.add(interaction)
    await session.flush()
    journal.record(
        "interaction.logged",
        entity_type="interaction",
        entity_id=interaction.id,
        customer_id=customer.id,
        changes={"channel": request.channel, "subject": subject},
    )
    return interaction
