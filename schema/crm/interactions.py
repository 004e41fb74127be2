"""Interactions: calls, emails, meetings and chats with customers, listed and logged."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.crm import interactions
from domain.crm.models import Interaction as InteractionModel
from domain.crm.vocabulary import INTERACTION_CHANNELS, INTERACTION_DIRECTIONS
from schema.core import filters
from schema.core.aggregates import aggregate_field
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import enum_value, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import ToOne
from schema.core.text import LONG_TEXT
from schema.crm.campaigns import Campaign
from schema.crm.contacts import Contact
from schema.crm.customers import Customer

if TYPE_CHECKING:
    from schema.erp.employees import Employee

EmployeeRef = Annotated["Employee", strawberry.lazy("schema.erp.employees")]

InteractionChannel = vocabulary_enum(
    "InteractionChannel", INTERACTION_CHANNELS, "How a contact happened."
)
InteractionDirection = vocabulary_enum(
    "InteractionDirection", INTERACTION_DIRECTIONS, "Who initiated it."
)


@strawberry.type(description="A recorded contact with a customer.")
class Interaction(TableNode):
    MODEL = InteractionModel
    id: relay.NodeID[int]
    channel: InteractionChannel = desc("Channel.")
    direction: InteractionDirection = desc("Inbound or outbound.")
    subject: str = desc("Subject.")
    notes: str | None = desc("Notes.")
    occurred_at: datetime = desc("When it happened.")

    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer.")
    employee: EmployeeRef | None = ToOne["Employee"]("employee_id").field(
        "The employee who handled it."
    )
    contact: Contact | None = ToOne[Contact]("contact_id").field("The contact person involved.")
    campaign: Campaign | None = ToOne[Campaign]("campaign_id").field("The campaign it belongs to.")


@strawberry.input(description="Filters for interactions.")
class InteractionFilter:
    channel: list[InteractionChannel] | None = filters.any_of("channel", "Any of these channels.")
    customer: relay.GlobalID | None = filters.node("customer_id", "Customer", "With this customer.")
    employee: relay.GlobalID | None = filters.node(
        "employee_id", "Employee", "Handled by this employee."
    )
    search: str | None = filters.search("subject", description="Text in the subject.")
    occurred_from: datetime | None = filters.at_least("occurred_at", "At or after.")
    occurred_to: datetime | None = filters.at_most("occurred_at", "At or before.")


@strawberry.type
class InteractionQueries:
    interactions = root_connection(
        Interaction,
        description="Interactions by time.",
        sort=by_date("occurred_at"),
        filter=InteractionFilter,
    )
    interactions_aggregate = aggregate_field(
        Interaction, "Interactions grouped, with counts and sums per group (one statement)."
    )


@strawberry.input(description="A call, email, meeting or chat with a customer.")
class InteractionLogInput:
    customer: strawberry.ID = strawberry.field(description="The customer.")
    channel: InteractionChannel = strawberry.field(description="Channel.")
    subject: str = strawberry.field(description="Subject (at most 200 characters).")
    direction: InteractionDirection = strawberry.field(
        default=InteractionDirection.OUTBOUND, description="Who initiated it."
    )
    notes: str | None = strawberry.field(
        default=None, description="Notes (at most 10,000 characters).", metadata=LONG_TEXT
    )
    occurred_at: datetime | None = strawberry.field(default=None, description="When (default now).")
    contact: strawberry.ID | None = strawberry.field(default=None, description="Contact involved.")
    employee: strawberry.ID | None = strawberry.field(
        default=None, description="Employee (default you); naming others is for sales managers."
    )
    campaign: strawberry.ID | None = strawberry.field(
        default=None, description="Campaign it belongs to."
    )
    idempotency_key: str | None = retry_key("logging the interaction twice")


def _request(input: InteractionLogInput) -> interactions.InteractionRequest:
    return interactions.InteractionRequest(
        customer_id=decode(input.customer, "Customer", "customer"),
        channel=enum_value(input.channel),
        subject=input.subject,
        direction=enum_value(input.direction),
        notes=input.notes,
        occurred_at=input.occurred_at,
        contact_id=decode_optional(input.contact, "Contact", "contact"),
        employee_id=decode_optional(input.employee, "Employee", "employee"),
        campaign_id=decode_optional(input.campaign, "Campaign", "campaign"),
    )


@strawberry.type
class InteractionMutations:
    interaction_log = mutation(
        InteractionLogInput,
        Interaction,
        "Record a call, email, meeting or chat with a customer.",
        lambda input, session, journal: interactions.log(
            session=session, journal=journal, request=_request(input)
        ),
    )
