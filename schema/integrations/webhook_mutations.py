"""Keeping webhook endpoints: create, change, delete, rotate the secret, replay a period.
Admins only. A secret is shown once, in the payload of the create or the rotation; URLs must
be https in production (http is accepted elsewhere, for local receivers)."""

from datetime import datetime
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from domain.core.journal import Journal
from domain.core.sessions import Session
from domain.integrations import endpoints
from schema.core.ids import decode
from schema.core.mutations import INPUT, MutationError, given, mutation, run_mutation_showing
from schema.core.relations import ESTIMATED_ITEMS
from schema.integrations.webhooks import WebhookEndpoint

WRITES = "WebhookEndpoint"
EVENT_TYPES_HELP = (
    "Event types to send: exact (`sales_order.placed`) or every type of an entity "
    "(`sales_order.*`), from `webhookEventTypes`; empty: every type."
)


def _payload(operation: str, extra: dict[str, tuple[type, str]]) -> Any:
    """`<Operation>Payload { webhookEndpoint <extra fields> errors }`."""
    annotations: dict[str, Any] = {"webhook_endpoint": WebhookEndpoint | None}
    namespace: dict[str, Any] = {
        "webhook_endpoint": strawberry.field(
            default=None, description="The WebhookEndpoint after the change; null on errors."
        )
    }
    for name, (kind, description) in extra.items():
        annotations[name] = kind | None
        namespace[name] = strawberry.field(default=None, description=description)
    annotations["errors"] = list[MutationError]
    namespace["errors"] = strawberry.field(
        default_factory=list,
        description="Why nothing was changed; empty on success.",
        metadata={ESTIMATED_ITEMS: 5},
    )
    namespace["__annotations__"] = annotations
    name = operation[0].upper() + operation[1:] + "Payload"
    return strawberry.type(type(name, (), namespace), description=f"Result of {operation}.")


SECRET = (
    str,
    "The signing secret, shown this once: keep it with the receiver (docs/INTEGRATIONS.md).",
)
WebhookEndpointCreatePayload = _payload("webhookEndpointCreate", {"secret": SECRET})
WebhookEndpointUpdatePayload = _payload("webhookEndpointUpdate", {})
WebhookEndpointRotateSecretPayload = _payload("webhookEndpointRotateSecret", {"secret": SECRET})
WebhookReplayPayload = _payload(
    "webhookReplay", {"queued": (int, "Deliveries owed again, sent from now on.")}
)


@strawberry.input(description="A new webhook endpoint; its secret is made by the platform.")
class WebhookEndpointCreateInput:
    url: str = strawberry.field(
        description="Where to POST events: http(s), no credentials; https in production."
    )
    description: str | None = strawberry.field(
        default=None, description="What it is for (at most 500 characters)."
    )
    event_types: list[str] | None = strawberry.field(default=None, description=EVENT_TYPES_HELP)
    active: bool = strawberry.field(default=True, description="Send events to it from now on.")


@strawberry.input(description="Changes to an endpoint; fields left out keep their value.")
class WebhookEndpointUpdateInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=strawberry.UNSET, description="A new URL.")
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="What it is for."
    )
    event_types: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description=EVENT_TYPES_HELP
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="false: stop sending (what it owes waits); true: send again, at once.",
    )


@strawberry.input(description="The endpoint to delete, with its deliveries and their log.")
class WebhookEndpointDeleteInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.input(description="A new secret for an endpoint.")
class WebhookEndpointRotateSecretInput:
    id: strawberry.ID = strawberry.field(description="The endpoint.")
    overlap_hours: int = strawberry.field(
        default=24,
        description="Hours the old secret keeps signing too (0–168; 0: it stops at once).",
    )


@strawberry.input(description="Events of a period to send to an endpoint again.")
class WebhookReplayInput:
    endpoint: strawberry.ID = strawberry.field(description="The endpoint.")
    from_: datetime = strawberry.field(name="from", description="First instant (included).")
    to: datetime = strawberry.field(
        description="Last instant (excluded). Only events of the last 7 days are still held."
    )


def _https_only(info: Info) -> bool:
    return bool(info.context.state.settings.is_prod)


async def _run(info: Info, input: Any, call: Any, payload: Any, **shown: list[Any]) -> Any:
    return await run_mutation_showing(
        info,
        input,
        call,
        node=WebhookEndpoint,
        payload=payload,
        entity="webhook_endpoint",
        writes=WRITES,
        shown=shown,
    )


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Register a webhook endpoint (admins only). The payload shows its signing "
        "secret, this once; events committed from now on are sent to it."
    )
    async def webhook_endpoint_create(
        self, info: Info, input: Annotated[WebhookEndpointCreateInput, INPUT]
    ) -> WebhookEndpointCreatePayload:
        made: list[str] = []

        async def create(
            input: WebhookEndpointCreateInput, session: Session, journal: Journal
        ) -> Any:
            endpoint = await endpoints.create(
                session=session,
                journal=journal,
                url=input.url,
                description=input.description,
                event_types=input.event_types,
                active=input.active,
                https_only=_https_only(info),
            )
            made.append(endpoint.secret)
            return endpoint

        return await _run(info, input, create, WebhookEndpointCreatePayload, secret=made)

    @strawberry.mutation(
        description="Change an endpoint's URL, description, event types or whether it is "
        "active (admins only). Enabled again, it is sent what it owes at once."
    )
    async def webhook_endpoint_update(
        self, info: Info, input: Annotated[WebhookEndpointUpdateInput, INPUT]
    ) -> WebhookEndpointUpdatePayload:
        async def change(
            input: WebhookEndpointUpdateInput, session: Session, journal: Journal
        ) -> Any:
            return await endpoints.update(
                session=session,
                journal=journal,
                endpoint_id=decode(input.id, "WebhookEndpoint", "id"),
                given=given(input, "url", "description", "event_types", "active"),
                https_only=_https_only(info),
            )

        return await _run(info, input, change, WebhookEndpointUpdatePayload)

    webhook_endpoint_delete = mutation(
        WebhookEndpointDeleteInput,
        WebhookEndpoint,
        "Delete an endpoint with its deliveries and their log (admins only); the payload's "
        "endpoint is null once it is gone.",
        lambda input, session, journal: endpoints.delete(
            session=session,
            journal=journal,
            endpoint_id=decode(input.id, "WebhookEndpoint", "id"),
        ),
    )

    @strawberry.mutation(
        description="Give an endpoint a new signing secret, shown in the payload this once "
        "(admins only). The old one keeps signing too (a second `v1=`) for `overlapHours`."
    )
    async def webhook_endpoint_rotate_secret(
        self, info: Info, input: Annotated[WebhookEndpointRotateSecretInput, INPUT]
    ) -> WebhookEndpointRotateSecretPayload:
        made: list[str] = []

        async def rotate(
            input: WebhookEndpointRotateSecretInput, session: Session, journal: Journal
        ) -> Any:
            endpoint = await endpoints.rotate_secret(
                session=session,
                journal=journal,
                endpoint_id=decode(input.id, "WebhookEndpoint", "id"),
                overlap_hours=input.overlap_hours,
            )
            made.append(endpoint.secret)
            return endpoint

        return await _run(info, input, rotate, WebhookEndpointRotateSecretPayload, secret=made)

    @strawberry.mutation(
        description="Send an endpoint again every event of [from, to) its event types match "
        "(admins only), delivered or not; the outbox holds events for 7 days."
    )
    async def webhook_replay(
        self, info: Info, input: Annotated[WebhookReplayInput, INPUT]
    ) -> WebhookReplayPayload:
        counted: list[int] = []

        async def replay(input: WebhookReplayInput, session: Session, journal: Journal) -> Any:
            endpoint, queued = await endpoints.replay(
                session=session,
                journal=journal,
                endpoint_id=decode(input.endpoint, "WebhookEndpoint", "endpoint"),
                start=input.from_,
                end=input.to,
            )
            counted.append(queued)
            return endpoint

        return await _run(info, input, replay, WebhookReplayPayload, queued=counted)
