"""CRM mutations about customers, their contacts and interactions."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain.crm import contacts, customers, interactions
from schema import enums as e
from schema.mutations.base import INPUT, decode, decode_optional, enum_value, given, payload, run
from schema.nodes import Contact, Customer, Interaction
from schema.text import LONG_TEXT

CUSTOMER_FIELDS = ("name", "email", "phone", "country", "industry", "currency", "credit_limit")


@strawberry.input(description="A new customer or lead. The customer number is assigned.")
class CustomerCreateInput:
    name: str = strawberry.field(description="Company or person name (at most 200 characters).")
    kind: e.CustomerKind = strawberry.field(
        default=e.CustomerKind.COMPANY, description="Company or person."
    )
    email: str | None = strawberry.field(default=None, description="Main email address.")
    phone: str | None = strawberry.field(default=None, description="Main phone number.")
    country: str | None = strawberry.field(default=None, description="ISO 3166-1 alpha-2 code.")
    industry: str | None = strawberry.field(default=None, description="Industry.")
    # Restricted fields default to UNSET: only a client naming one writes it (see `run`).
    tier: e.CustomerTier | None = strawberry.field(
        default=strawberry.UNSET,
        description="Price tier (default BRONZE). Only sales managers may set it.",
    )
    status: e.CustomerStatus = strawberry.field(
        default=e.CustomerStatus.LEAD, description="Lifecycle status."
    )
    currency: str = strawberry.field(default="EUR", description="ISO 4217 account currency.")
    credit_limit: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Credit limit (default: none). Only finance and sales managers may set it.",
    )
    account_manager: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Employee managing the account (a sales employee). Only sales managers "
        "may set it; a sales rep's new customer is theirs.",
    )


@strawberry.input(description="Changes to a customer; fields left out keep their value.")
class CustomerUpdateInput:
    id: strawberry.ID = strawberry.field(description="The customer.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    name: str | None = strawberry.field(default=strawberry.UNSET, description="Name.")
    kind: e.CustomerKind | None = strawberry.field(default=strawberry.UNSET, description="Kind.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Email; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Phone; null clears it."
    )
    country: str | None = strawberry.field(default=strawberry.UNSET, description="Country code.")
    industry: str | None = strawberry.field(default=strawberry.UNSET, description="Industry.")
    tier: e.CustomerTier | None = strawberry.field(
        default=strawberry.UNSET,
        description="Price tier: changes the prices of future orders. Sales managers only.",
    )
    status: e.CustomerStatus | None = strawberry.field(
        default=strawberry.UNSET, description="Status."
    )
    currency: str | None = strawberry.field(
        default=strawberry.UNSET, description="Account currency."
    )
    credit_limit: Decimal | None = strawberry.field(
        default=strawberry.UNSET,
        description="Credit limit; null removes the limit. Finance and sales managers only.",
    )
    account_manager: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="Account manager (a sales employee); null unassigns. Sales managers only.",
    )


def _customer_values(input: CustomerCreateInput | CustomerUpdateInput) -> dict[str, Any]:
    values = given(input, *CUSTOMER_FIELDS)
    for name in ("kind", "tier", "status"):
        value = getattr(input, name)
        if value is not strawberry.UNSET:
            values[name] = enum_value(value)
    if input.account_manager is not strawberry.UNSET:
        values["account_manager_id"] = decode_optional(
            input.account_manager, "Employee", "accountManager"
        )
    return values


@strawberry.input(description="A person at a customer.")
class ContactCreateInput:
    customer: strawberry.ID = strawberry.field(description="The customer.")
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    title: str | None = strawberry.field(default=None, description="Job title.")
    is_primary: bool = strawberry.field(default=False, description="Make this the main contact.")


@strawberry.input(description="A call, email, meeting or chat with a customer.")
class InteractionLogInput:
    customer: strawberry.ID = strawberry.field(description="The customer.")
    channel: e.InteractionChannel = strawberry.field(description="Channel.")
    subject: str = strawberry.field(description="Subject (at most 200 characters).")
    direction: e.InteractionDirection = strawberry.field(
        default=e.InteractionDirection.OUTBOUND, description="Who initiated it."
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


CustomerCreatePayload = payload(
    "CustomerCreatePayload", "customer", Customer, "Result of customerCreate."
)
CustomerUpdatePayload = payload(
    "CustomerUpdatePayload", "customer", Customer, "Result of customerUpdate."
)
ContactCreatePayload = payload(
    "ContactCreatePayload", "contact", Contact, "Result of contactCreate."
)
InteractionLogPayload = payload(
    "InteractionLogPayload", "interaction", Interaction, "Result of interactionLog."
)


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(description="Register a customer or lead.")
    async def customer_create(
        self, info: Info, input: Annotated[CustomerCreateInput, INPUT]
    ) -> CustomerCreatePayload:
        return await run(
            info,
            CustomerCreatePayload,
            lambda session, journal: customers.create(
                session=session, journal=journal, given=_customer_values(input)
            ),
            input=input,
        )

    @strawberry.mutation(description="Change a customer's details, tier or account manager.")
    async def customer_update(
        self, info: Info, input: Annotated[CustomerUpdateInput, INPUT]
    ) -> CustomerUpdatePayload:
        return await run(
            info,
            CustomerUpdatePayload,
            lambda session, journal: customers.update(
                session=session,
                journal=journal,
                customer_id=decode(input.id, "Customer", "id"),
                version=input.version,
                given=_customer_values(input),
            ),
            input=input,
        )

    @strawberry.mutation(description="Add a person at a customer.")
    async def contact_create(
        self, info: Info, input: Annotated[ContactCreateInput, INPUT]
    ) -> ContactCreatePayload:
        return await run(
            info,
            ContactCreatePayload,
            lambda session, journal: contacts.create(
                session=session,
                journal=journal,
                customer_id=decode(input.customer, "Customer", "customer"),
                given=given(
                    input, "first_name", "last_name", "email", "phone", "title", "is_primary"
                ),
            ),
            input=input,
        )

    @strawberry.mutation(description="Record a call, email, meeting or chat with a customer.")
    async def interaction_log(
        self, info: Info, input: Annotated[InteractionLogInput, INPUT]
    ) -> InteractionLogPayload:
        return await run(
            info,
            InteractionLogPayload,
            lambda session, journal: interactions.log(
                session=session,
                journal=journal,
                request=interactions.InteractionRequest(
                    customer_id=decode(input.customer, "Customer", "customer"),
                    channel=input.channel.value,
                    subject=input.subject,
                    direction=input.direction.value,
                    notes=input.notes,
                    occurred_at=input.occurred_at,
                    contact_id=decode_optional(input.contact, "Contact", "contact"),
                    employee_id=decode_optional(input.employee, "Employee", "employee"),
                    campaign_id=decode_optional(input.campaign, "Campaign", "campaign"),
                ),
            ),
            input=input,
        )
