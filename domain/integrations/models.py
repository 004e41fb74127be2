"""Tables of the integrations context (schema `ops`): registered operations, webhook
endpoints, their deliveries and every attempt at one."""

from datetime import datetime

from sqlalchemy import (
    ARRAY,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import Base, BigId, CreatedAt, fk, one_of

SCHEMA = "ops"
DELIVERY_STATUSES = ("pending", "delivered", "failed")


class PersistedOperation(Base):
    """A GraphQL document registered ahead of time, known by the SHA-256 of its text.

    In safelist mode these are the only operations the API runs.
    """

    __tablename__ = "persisted_operation"
    __table_args__ = {"schema": SCHEMA}

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    document: Mapped[str] = mapped_column(Text)
    operation_names: Mapped[list[str]] = mapped_column(ARRAY(String(200)))
    # The client build that registered it (`bizgraph operations register --client`).
    client: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[CreatedAt]


class WebhookEndpoint(Base):
    """A URL that receives the platform's events, signed with its secret."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[BigId]
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(500))
    # Event types delivered; empty: every type.
    event_types: Mapped[list[str]] = mapped_column(
        ARRAY(String(60)), server_default=text("'{}'::varchar[]")
    )
    # Signing needs the secret itself, so it is kept as given (like a database password).
    secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old secret signs as well, until it expires.
    previous_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True, server_default=text("true"))
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    # Its health, for the automatic disabling (`domain.integrations.deliveries`): failed
    # attempts since the last success, and when the first of them happened.
    consecutive_failures: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    failing_since: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    created_by_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]


class WebhookDelivery(Base):
    """One event owed to one endpoint, until it is delivered or given up."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_endpoint_event"),
        one_of("status", "status", DELIVERY_STATUSES),
        # The sender only ever looks for pending deliveries that are due.
        Index(
            "ix_webhook_delivery_due",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
        ),
        # Each endpoint's due deliveries, oldest event first: the sender takes a few per
        # endpoint, so one endpoint's backlog never hides another's.
        Index(
            "ix_webhook_delivery_endpoint_due",
            "endpoint_id",
            "next_attempt_at",
            "event_id",
            postgresql_where=text("status = 'pending'"),
        ),
        # Deliveries being sent now: counted per endpoint to cap what is in flight to it.
        Index(
            "ix_webhook_delivery_leased",
            "endpoint_id",
            postgresql_where=text("leased_until IS NOT NULL"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    endpoint_id: Mapped[int] = fk("ops.webhook_endpoint.id", ondelete="CASCADE")
    # Kept as long as its event (`domain.core.retention`): replays read the event again.
    event_id: Mapped[int] = fk("ops.outbox.id", ondelete="CASCADE")
    # The event's topic, copied at fan-out: lists of deliveries show it without the outbox.
    event_type: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(SmallInteger, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    delivered_at: Mapped[datetime | None] = mapped_column()
    # Set while a sender holds the delivery (it is not taken again before then): a sender
    # that dies mid-send leaves a lease that simply runs out.
    leased_until: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[CreatedAt]


class WebhookAttempt(Base):
    """One try at a delivery: what the endpoint answered, and how fast."""

    __tablename__ = "webhook_attempt"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[BigId]
    delivery_id: Mapped[int] = fk("ops.webhook_delivery.id", ondelete="CASCADE")
    attempted_at: Mapped[CreatedAt]
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    latency_ms: Mapped[int] = mapped_column()
    # Why there was no answer (timeout, connection refused); null when there was one.
    error: Mapped[str | None] = mapped_column(String(500))
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
