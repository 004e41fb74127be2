"""Contacts: people at a customer, and adding them."""

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
            given=given(input, "first_name", "last_name", "email", "phone", "title", "is_primary"),
        ),
    )
