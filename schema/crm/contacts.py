"""Contacts: people at a customer, adding and changing them."""

from datetime import datetime

import strawberry
from strawberry import relay

from domain.crm import contacts
from domain.crm.models import Contact as ContactModel
from schema.core.ids import decode
from schema.core.mutations import given, mutation, retry_key
from schema.core.nodes import TableNode, desc
from schema.core.relations import ToOne
from schema.crm.customers import Customer


@strawberry.type(description="A person at a customer.")
class Contact(TableNode):
    MODEL = ContactModel
    id: relay.NodeID[int]
    first_name: str = desc("First name.")
    last_name: str = desc("Last name.")
    email: str | None = desc("Email address.")
    phone: str | None = desc("Phone number.")
    title: str | None = desc("Job title.")
    is_primary: bool = desc("The customer's main contact.")
    version: int = desc("Increases with every change; send it back with contactUpdate.")
    archived_at: datetime | None = desc(
        "When it was archived: left out of lists, kept for what refers to it; null while in use."
    )
    external_source: str | None = desc("The system it was imported from, if imported.")
    external_id: str | None = desc("Its id in that system (unique there; imports upsert by it).")

    customer: Customer | None = ToOne[Customer]("customer_id").field(
        "The customer this contact works for."
    )


@strawberry.input(description="A person at a customer.")
class ContactCreateInput:
    customer: strawberry.ID = strawberry.field(description="The customer.")
    first_name: str = strawberry.field(description="First name.")
    last_name: str = strawberry.field(description="Last name.")
    email: str | None = strawberry.field(default=None, description="Email address.")
    phone: str | None = strawberry.field(default=None, description="Phone number.")
    title: str | None = strawberry.field(default=None, description="Job title.")
    is_primary: bool = strawberry.field(default=False, description="Make this the main contact.")
    idempotency_key: str | None = retry_key("creating a second contact")


@strawberry.input(description="Changes to a contact; fields left out keep their value.")
class ContactUpdateInput:
    id: strawberry.ID = strawberry.field(description="The contact.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    first_name: str | None = strawberry.field(default=strawberry.UNSET, description="First name.")
    last_name: str | None = strawberry.field(default=strawberry.UNSET, description="Last name.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="Email address; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Phone number; null clears it."
    )
    title: str | None = strawberry.field(
        default=strawberry.UNSET, description="Job title; null clears it."
    )
    is_primary: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="True makes this the main contact (the previous one no longer is).",
    )


@strawberry.type
class ContactMutations:
    contact_create = mutation(
        ContactCreateInput,
        Contact,
        "Add a person at a customer.",
        lambda input, session, journal: contacts.create(
            session=session,
            journal=journal,
            customer_id=decode(input.customer, "Customer", "customer"),
            given=given(input, *contacts.FIELDS),
        ),
    )
    contact_update = mutation(
        ContactUpdateInput,
        Contact,
        "Change a contact's name, address, phone or title, or make them the main contact.",
        lambda input, session, journal: contacts.update(
            session=session,
            journal=journal,
            contact_id=decode(input.id, "Contact", "id"),
            version=input.version,
            given=given(input, *contacts.FIELDS),
        ),
    )
