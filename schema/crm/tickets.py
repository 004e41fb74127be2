"""Support tickets: listed, opened (optionally about an order) and resolved."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from domain.crm import tickets
from domain.crm.models import Ticket as TicketModel
from domain.crm.ticket_states import TICKET_CATEGORIES, TICKET_PRIORITIES, TICKET_STATUSES
from schema.core import filters
from schema.core.aggregates import aggregate_field
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.ids import decode, decode_optional
from schema.core.mutations import enum_value, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import ToOne
from schema.core.text import LONG_TEXT
from schema.crm.customers import Customer

if TYPE_CHECKING:
    from schema.erp.employees import Employee
    from schema.erp.sales_orders import SalesOrder

EmployeeRef = Annotated["Employee", strawberry.lazy("schema.erp.employees")]
SalesOrderRef = Annotated["SalesOrder", strawberry.lazy("schema.erp.sales_orders")]

TicketStatus = vocabulary_enum("TicketStatus", TICKET_STATUSES, "Lifecycle of a support ticket.")
TicketCategory = vocabulary_enum("TicketCategory", TICKET_CATEGORIES, "What a ticket is about.")
TicketPriority = vocabulary_enum("TicketPriority", TICKET_PRIORITIES, "How urgent a ticket is.")


@strawberry.type(description="A support case.")
class Ticket(TableNode):
    MODEL = TicketModel
    id: relay.NodeID[int]
    number: str = desc("Ticket number.")
    subject: str = desc("Subject.")
    description: str | None = desc("Description.")
    category: TicketCategory = desc("Category (complaints may concern an order).")
    priority: TicketPriority = desc("Priority.")
    status: TicketStatus = desc("Status.")
    satisfaction: int | None = desc("Customer satisfaction 1–5 after resolution.")
    resolution: str | None = desc("How it was resolved.")
    opened_at: datetime = desc("When it was opened.")
    resolved_at: datetime | None = desc("When it was resolved.")

    customer: Customer | None = ToOne[Customer]("customer_id").field("The customer.")
    sales_order: SalesOrderRef | None = ToOne["SalesOrder"]("sales_order_id").field(
        "The order the ticket is about."
    )
    assignee: EmployeeRef | None = ToOne["Employee"]("assignee_id").field(
        "The support employee handling it."
    )


@strawberry.input(description="Filters for support tickets.")
class TicketFilter:
    status: list[TicketStatus] | None = filters.any_of("status", "Any of these statuses.")
    category: list[TicketCategory] | None = filters.any_of("category", "Any of these categories.")
    priority: list[TicketPriority] | None = filters.any_of("priority", "Any of these priorities.")
    customer: relay.GlobalID | None = filters.node("customer_id", "Customer", "Of this customer.")
    assignee: relay.GlobalID | None = filters.node(
        "assignee_id", "Employee", "Assigned to this employee."
    )
    search: str | None = filters.search(
        "number", "subject", description="Text in number or subject."
    )
    opened_from: datetime | None = filters.at_least("opened_at", "Opened at or after.")
    opened_to: datetime | None = filters.at_most("opened_at", "Opened at or before.")


@strawberry.type
class TicketQueries:
    tickets = root_connection(
        Ticket,
        description="Support tickets by opening time.",
        sort=by_date("opened_at"),
        filter=TicketFilter,
    )
    tickets_aggregate = aggregate_field(
        Ticket, "Tickets grouped, with counts and sums per group (one statement)."
    )


@strawberry.input(description="A new support ticket.")
class TicketOpenInput:
    customer: strawberry.ID = strawberry.field(description="The customer.")
    subject: str = strawberry.field(description="Subject.")
    category: TicketCategory = strawberry.field(description="What it is about.")
    priority: TicketPriority = strawberry.field(
        default=TicketPriority.NORMAL, description="Urgency."
    )
    description: str | None = strawberry.field(
        default=None, description="Details (at most 10,000 characters).", metadata=LONG_TEXT
    )
    sales_order: strawberry.ID | None = strawberry.field(
        default=None, description="The order it is about (must be the customer's)."
    )
    contact: strawberry.ID | None = strawberry.field(default=None, description="Who reported it.")
    assignee: strawberry.ID | None = strawberry.field(
        default=None, description="Who handles it: yourself or someone in support."
    )
    idempotency_key: str | None = retry_key("opening a second ticket")


@strawberry.input(description="Resolve a ticket.")
class TicketResolveInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    resolution: str = strawberry.field(
        description="What was done (required; at most 10,000 characters).", metadata=LONG_TEXT
    )
    satisfaction: int | None = strawberry.field(default=None, description="Rating 1–5.")


@strawberry.input(
    description="Work on a ticket (IN_PROGRESS), wait for the customer (WAITING), reopen a "
    "resolved one (OPEN) or close it (CLOSED); resolving has ticketResolve."
)
class TicketMoveStatusInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    status: TicketStatus = strawberry.field(description="The status to move to.")
    idempotency_key: str | None = retry_key("moving it twice")


@strawberry.input(description="Hand a ticket to someone in support, or to nobody.")
class TicketAssignInput:
    id: strawberry.ID = strawberry.field(description="The ticket.")
    assignee: strawberry.ID | None = strawberry.field(description="The employee; null: nobody.")


def _ticket(input: TicketOpenInput) -> tickets.TicketRequest:
    return tickets.TicketRequest(
        customer_id=decode(input.customer, "Customer", "customer"),
        subject=input.subject,
        category=enum_value(input.category),
        priority=enum_value(input.priority),
        description=input.description,
        sales_order_id=decode_optional(input.sales_order, "SalesOrder", "salesOrder"),
        contact_id=decode_optional(input.contact, "Contact", "contact"),
        assignee_id=decode_optional(input.assignee, "Employee", "assignee"),
    )


@strawberry.type
class TicketMutations:
    ticket_open = mutation(
        TicketOpenInput,
        Ticket,
        "Open a support ticket, optionally about an order.",
        lambda input, session, journal: tickets.open_ticket(
            session=session, journal=journal, request=_ticket(input)
        ),
    )
    ticket_move_status = mutation(
        TicketMoveStatusInput,
        Ticket,
        "Move a ticket through its lifecycle: open, in progress, waiting, resolved, closed.",
        lambda input, session, journal: tickets.move(
            session=session,
            journal=journal,
            ticket_id=decode(input.id, "Ticket", "id"),
            status=enum_value(input.status),
        ),
    )
    ticket_assign = mutation(
        TicketAssignInput,
        Ticket,
        "Hand a ticket to someone in support (or to nobody).",
        lambda input, session, journal: tickets.assign(
            session=session,
            journal=journal,
            ticket_id=decode(input.id, "Ticket", "id"),
            assignee_id=decode_optional(input.assignee, "Employee", "assignee"),
        ),
    )
    ticket_resolve = mutation(
        TicketResolveInput,
        Ticket,
        "Resolve a ticket with a written resolution.",
        lambda input, session, journal: tickets.resolve(
            session=session,
            journal=journal,
            ticket_id=decode(input.id, "Ticket", "id"),
            resolution=input.resolution,
            satisfaction=input.satisfaction,
        ),
    )
