"""Webhook endpoints, their deliveries and every attempt at one, as admins read them:
`webhookEndpoints`, `webhookEndpoint(id:)`, `webhookDeliveries(filter:)` and the event types
an endpoint may ask for (`webhookEventTypes`). An endpoint's secret is never readable: it is
shown once, in the payload of the mutation that made it (`schema.integrations.
webhook_mutations`). Admins only.
"""

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from domain.integrations import deliveries
from domain.integrations.models import DELIVERY_STATUSES
from domain.integrations.models import WebhookAttempt as WebhookAttemptModel
from domain.integrations.models import WebhookDelivery as WebhookDeliveryModel
from domain.integrations.models import WebhookEndpoint as WebhookEndpointModel
from domain.integrations.webhooks import EVENT_TYPES
from schema.core import filters, sql
from schema.core.compiled.planner import ROOT_READ, RootNode
from schema.core.connections import by_date, root_connection
from schema.core.enums import vocabulary_enum
from schema.core.node_queries import one_node
from schema.core.nodes import ROW_VALUE, TableNode, desc
from schema.core.pagination import Connection
from schema.core.relations import ESTIMATED_ITEMS, Page, ToOne
from schema.erp.employees import Employee

WebhookDeliveryStatus = vocabulary_enum(
    "WebhookDeliveryStatus",
    DELIVERY_STATUSES,
    "PENDING (not yet answered with a 2xx: waiting for its next attempt), DELIVERED, or "
    "FAILED (given up after the last attempt; `webhookReplay` sends it again).",
)


@strawberry.type(description="A URL that receives the platform's events, signed (admins only).")
class WebhookEndpoint(TableNode):
    MODEL = WebhookEndpointModel
    id: relay.NodeID[int]
    url: str = desc("Where events are POSTed.")
    description: str | None = desc("What it is for.")
    event_types: list[str] = strawberry.field(
        description="Event types it receives: exact (`sales_order.placed`) or every type of "
        "an entity (`sales_order.*`); empty: every type.",
        metadata={ESTIMATED_ITEMS: 10},
    )
    active: bool = desc("Whether events are sent to it; a disabled endpoint keeps what it owes.")
    disabled_reason: str | None = desc("Why it was disabled (failing for a day, or by hand).")
    previous_secret_expires_at: datetime | None = desc(
        "Until when the secret before the last rotation still signs (a second `v1=`)."
    )
    consecutive_failures: int = desc("Attempts in a row that failed, since the last success.")
    failing_since: datetime | None = desc("When the first of those failed attempts happened.")
    last_success_at: datetime | None = desc("When an attempt last succeeded (a 2xx answer).")
    created_at: datetime = desc("When it was registered.")
    updated_at: datetime = desc("When it was last changed.")

    created_by: Employee | None = ToOne[Employee]("created_by_id").field("Who registered it.")
    deliveries: Connection["WebhookDelivery"] | None = Page["WebhookDelivery"](
        "endpoint_id", sort=sql.newest("created_at")
    ).field("The events owed to it, newest first.")


@strawberry.type(description="One event owed to one endpoint, until delivered or given up.")
class WebhookDelivery(TableNode):
    MODEL = WebhookDeliveryModel
    id: relay.NodeID[int]
    # A row value (text) under a name of its own: the row has an `event_id` column already.
    event_key: strawberry.ID = strawberry.field(
        name="eventId",
        description="The event (`Bizgraph-Event-Id`, the payload's `id`).",
        metadata={ROW_VALUE: deliveries.event_key},
    )
    event_type: str = desc("The event's type (`Bizgraph-Event-Type`).")
    status: WebhookDeliveryStatus = desc("Where it stands.")
    attempts: int = strawberry.field(
        name="attemptCount", description="Attempts made so far (the log: `attempts`)."
    )
    next_attempt_at: datetime = desc("When it is tried next, while pending.")
    delivered_at: datetime | None = desc("When a 2xx answer came.")
    created_at: datetime = desc("When the event was owed to the endpoint (or replayed).")

    endpoint: WebhookEndpoint | None = ToOne[WebhookEndpoint]("endpoint_id").field("The endpoint.")
    log: Connection["WebhookAttempt"] | None = Page["WebhookAttempt"](
        "delivery_id", sort=sql.newest("attempted_at")
    ).field("Every attempt, newest first.", name="attempts")


@strawberry.type(description="One try at a delivery: what the endpoint answered, and how fast.")
class WebhookAttempt(TableNode):
    MODEL = WebhookAttemptModel
    id: relay.NodeID[int]
    attempted_at: datetime = desc("When it was made.")
    status_code: int | None = desc("The HTTP status answered; null when no answer came.")
    latency_ms: int = desc("Milliseconds until the answer (or the failure).")
    error: str | None = desc("Why no answer came: a time-out, a refused connection, …")
    response_excerpt: str | None = desc("The start of the answer's body (500 characters).")

    delivery: WebhookDelivery | None = ToOne[WebhookDelivery]("delivery_id").field("The delivery.")


@strawberry.input(description="Filters for webhook deliveries.")
class WebhookDeliveryFilter:
    endpoint: relay.GlobalID | None = filters.node(
        "endpoint_id", "WebhookEndpoint", "Owed to this endpoint."
    )
    status: list[WebhookDeliveryStatus] | None = filters.any_of("status", "Any of these statuses.")
    event_type: str | None = filters.equals("event_type", "Of this event type.")


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description="One webhook endpoint by global ID (admins only; an error if it does not "
        "exist).",
        metadata={ROOT_READ: RootNode(WebhookEndpoint)},
    )
    async def webhook_endpoint(
        self,
        info: Info,
        id: Annotated[relay.GlobalID, strawberry.argument(description="Webhook endpoint ID.")],
    ) -> WebhookEndpoint | None:
        return await one_node(info, id, WebhookEndpoint)  # type: ignore[return-value]

    webhook_endpoints = root_connection(
        WebhookEndpoint,
        description="Webhook endpoints, newest first (admins only).",
        sort=by_date("created_at"),
    )
    webhook_deliveries = root_connection(
        WebhookDelivery,
        description="Webhook deliveries, newest first (admins only): the delivery log.",
        sort=by_date("created_at"),
        filter=WebhookDeliveryFilter,
    )

    @strawberry.field(
        description="Every event type an endpoint may ask for (docs/INTEGRATIONS.md).",
        metadata={ESTIMATED_ITEMS: len(EVENT_TYPES)},
    )
    def webhook_event_types(self) -> list[str]:
        return list(EVENT_TYPES)
