"""A customer's personal data on request: `customerRecord(id:)`, everything held about it as one
JSON document (`domain.flows.customer_records`), and `customerErase`, which erases what
identifies a person and keeps the books (`domain.flows.erasure`). Admins only."""

from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.core.errors import DomainError
from domain.flows import customer_records, erasure
from schema.core.ids import decode
from schema.core.mutations import mutation, retry_key
from schema.core.nodes import desc
from schema.crm.customers import Customer


@strawberry.type(
    description="Everything held about one customer, for an access request: every row of the "
    "customer and of what belongs to it, as stored."
)
class CustomerRecord:
    customer: strawberry.ID = desc("The customer.")
    produced_at: datetime = desc("When this document was produced (the request is audited).")
    document: JSON = desc(
        "The customer, its contacts, interactions, tickets, opportunities, campaign "
        "memberships, orders, deliveries, invoices and payments (with their lines) and the "
        "customer record's audit trail, each part a list of rows with all their columns."
    )


@strawberry.type
class CustomerRecordQueries:
    @strawberry.field(
        description="Everything held about a customer as one document (admins only); null "
        "if no such customer."
    )
    async def customer_record(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The customer.")],
    ) -> CustomerRecord | None:
        try:
            customer_id = decode(id, "Customer", "id")
        except DomainError as error:
            # An argument no valid request holds: the client's error, not an internal one.
            raise GraphQLError(
                f"`id` {error.message}", extensions={"code": "BAD_USER_INPUT", "argument": "id"}
            ) from error
        context: Any = info.context
        try:
            async with context.sessions() as session, session.begin():
                document = await customer_records.held_about(session, context.viewer, customer_id)
        except DomainError:
            return None
        return CustomerRecord(
            customer=id,
            produced_at=datetime.now(UTC),
            document=document,  # type: ignore[arg-type]  # JSON is any JSON value
        )


@strawberry.input(description="Erase a customer's personal data (the books are kept).")
class CustomerEraseInput:
    id: strawberry.ID = strawberry.field(description="The customer.")
    version: int = strawberry.field(description="The version you read; a newer one is a CONFLICT.")
    idempotency_key: str | None = retry_key("erasing it twice")


@strawberry.type
class CustomerRecordMutations:
    customer_erase = mutation(
        CustomerEraseInput,
        Customer,
        "Erase what identifies a customer and its people: names, contact details, the text "
        "of interactions, tickets and deals, and what the audit log kept of them. Orders, "
        "deliveries, invoices and payments stay, under a pseudonym (admins only).",
        lambda input, session, journal: erasure.erase(
            session=session,
            journal=journal,
            customer_id=decode(input.id, "Customer", "id"),
            version=input.version,
        ),
        writes="CustomerErasure",
    )
