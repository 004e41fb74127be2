"""Operational tables (schema `ops`): the outbox, the audit log (and the API keys it names),
idempotency keys and job runs.

The outbox is the source of truth for pending background work: it commits in the same
transaction as the change it describes, so a Redis outage delays work but never loses it.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from domain.core.model_base import Base, BigId, CreatedAt, fk, one_of

SCHEMA = "ops"
JOB_RUN_STATUSES = ("running", "succeeded", "failed")
# Where a change came from: a person through the API, a machine client with an API key, a
# background job, a file import, or the platform's own commands (seeding, the CLI).
AUDIT_SOURCES = ("api", "api_key", "worker", "import", "system")


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # The relay only ever scans pending events; a partial index keeps that scan tiny.
        Index(
            "ix_outbox_pending",
            "id",
            postgresql_where=text("processed_at IS NULL"),
        ),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    topic: Mapped[str] = mapped_column(String(60))
    aggregate_type: Mapped[str] = mapped_column(String(40))
    aggregate_id: Mapped[int] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[CreatedAt]
    processed_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxEffect(Base):
    """Derived data that committed events made stale and no job has brought up to date yet.

    One row per effect and target (`customer` and `campaigns` per customer id, `replenishment`
    with target 0), up to the newest event it covers. The job that does the work deletes the
    row in the transaction that writes its results, so the row exists exactly while the work
    is owed: a job lost with Redis, or one that failed, is queued again when `due_at` passes.
    """

    __tablename__ = "outbox_effect"
    __table_args__ = (Index("ix_outbox_effect_due", "due_at"), {"schema": SCHEMA})

    effect: Mapped[str] = mapped_column(String(20), primary_key=True)
    target: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[CreatedAt]
    due_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class ApiKey(Base):
    """A credential for a machine client, owned by the employee who created it.

    Only a hash of the secret is kept: the secret is shown once, when the key is made.
    """

    __tablename__ = "api_key"
    __table_args__ = {"schema": SCHEMA}

    id: Mapped[BigId]
    owner_id: Mapped[int] = fk("erp.employee.id")
    name: Mapped[str] = mapped_column(String(100))
    # The first characters of the secret, kept to tell keys apart in lists and logs.
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    roles: Mapped[list[str]] = mapped_column(ARRAY(String(40)))
    read_only: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    rate_limit_per_minute: Mapped[int | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[CreatedAt]
    revoked_at: Mapped[datetime | None] = mapped_column()
    last_used_at: Mapped[datetime | None] = mapped_column()


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity_type", "entity_id"),
        one_of("source", "source", AUDIT_SOURCES),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    occurred_at: Mapped[CreatedAt] = mapped_column(index=True)
    # Employees are never deleted while their changes are on record; `actor` keeps the name.
    actor_employee_id: Mapped[int | None] = fk("erp.employee.id", ondelete="SET NULL")
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(60))
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column(BigInteger)
    changes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    request_id: Mapped[str | None] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10), default="api", server_default="api")
    # The machine client's key, when the change came through one (`domain.integrations`).
    api_key_id: Mapped[int | None] = fk("ops.api_key.id", ondelete="SET NULL")


# Principals are `employee:<id>` or `email:<address>` (see `Viewer.principal`).
PRINCIPAL_LENGTH = 270


class IdempotencyKey(Base):
    """A retry key, scoped per principal: two people's keys never meet, however alike."""

    __tablename__ = "idempotency_key"
    __table_args__ = {"schema": SCHEMA}

    principal: Mapped[str] = mapped_column(String(PRINCIPAL_LENGTH), primary_key=True)
    operation: Mapped[str] = mapped_column(String(60), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    response: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[CreatedAt] = mapped_column(index=True)


class JobRun(Base):
    __tablename__ = "job_run"
    __table_args__ = (
        one_of("status", "status", JOB_RUN_STATUSES),
        Index("ix_job_run_name_started", "name", "started_at"),
        {"schema": SCHEMA},
    )

    id: Mapped[BigId]
    name: Mapped[str] = mapped_column(String(60))
    started_at: Mapped[CreatedAt]
    finished_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="running", server_default="running")
    rows: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    error: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    # Refreshed while the run is alive: a run whose heartbeat stopped lost its worker.
    heartbeat_at: Mapped[datetime | None] = mapped_column()
