"""`customerRecord(id:)`: everything held about a customer, as one JSON document (admins only;
`domain.flows.customer_records`)."""

from datetime import UTC, datetime
from typing import Annotated, Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from domain.core.errors import DomainError
from domain.flows import customer_records
from schema.core.ids import decode
from schema.core.nodes import desc


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
        customer_id = decode(id, "Customer", "id")
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
