"""Integrations: API keys, registered operations, webhook endpoints with their deliveries
and attempts; the audit log names its source and API key; committed outbox events are
announced on the `bizgraph_events` channel for live subscriptions.

Revision ID: 0030_integrations
Revises: 0029_warehouse_demand
Create Date: 2026-12-07 00:43:33.080078+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_integrations"
down_revision: str | None = "0029_warehouse_demand"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOTIFY_FUNCTION = """
CREATE FUNCTION ops.announce_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    first_id bigint;
    last_id bigint;
BEGIN
    SELECT min(id), max(id) INTO first_id, last_id FROM inserted;
    IF first_id IS NOT NULL THEN
        PERFORM pg_notify('bizgraph_events', first_id || ' ' || last_id);
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "persisted_operation",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("operation_names", sa.ARRAY(sa.String(length=200)), nullable=False),
        sa.Column("client", sa.String(length=100), nullable=False),
        sa.Column(
            "registered_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_persisted_operation")),
        schema="ops",
    )
    op.create_table(
        "api_key",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("roles", sa.ARRAY(sa.String(length=40)), nullable=False),
        sa.Column("read_only", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("rate_limit_per_minute", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["erp.employee.id"], name=op.f("fk_api_key_owner_id_employee")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_key_secret_hash")),
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_api_key_owner_id"), "api_key", ["owner_id"], unique=False, schema="ops"
    )
    op.create_table(
        "webhook_endpoint",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=True),
        sa.Column(
            "event_types",
            sa.ARRAY(sa.String(length=60)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("disabled_reason", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["erp.employee.id"],
            name=op.f("fk_webhook_endpoint_created_by_id_employee"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoint")),
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_webhook_endpoint_created_by_id"),
        "webhook_endpoint",
        ["created_by_id"],
        unique=False,
        schema="ops",
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("endpoint_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("attempts", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "next_attempt_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'failed')", name=op.f("ck_webhook_delivery_status")
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["ops.webhook_endpoint.id"],
            name=op.f("fk_webhook_delivery_endpoint_id_webhook_endpoint"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["ops.outbox.id"],
            name=op.f("fk_webhook_delivery_event_id_outbox"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_delivery_endpoint_event"),
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_webhook_delivery_endpoint_id"),
        "webhook_delivery",
        ["endpoint_id"],
        unique=False,
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_webhook_delivery_event_id"),
        "webhook_delivery",
        ["event_id"],
        unique=False,
        schema="ops",
    )
    op.create_index(
        "ix_webhook_delivery_due",
        "webhook_delivery",
        ["next_attempt_at"],
        unique=False,
        schema="ops",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        "webhook_attempt",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("delivery_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "attempted_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("status_code", sa.SmallInteger(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("response_excerpt", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["ops.webhook_delivery.id"],
            name=op.f("fk_webhook_attempt_delivery_id_webhook_delivery"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_attempt")),
        schema="ops",
    )
    op.create_index(
        op.f("ix_ops_webhook_attempt_delivery_id"),
        "webhook_attempt",
        ["delivery_id"],
        unique=False,
        schema="ops",
    )
    op.add_column(
        "audit_log",
        sa.Column("source", sa.String(length=10), server_default="api", nullable=False),
        schema="ops",
    )
    op.add_column(
        "audit_log", sa.Column("api_key_id", sa.BigInteger(), nullable=True), schema="ops"
    )
    op.create_index(
        op.f("ix_ops_audit_log_api_key_id"), "audit_log", ["api_key_id"], unique=False, schema="ops"
    )
    op.create_foreign_key(
        op.f("fk_audit_log_api_key_id_api_key"),
        "audit_log",
        "api_key",
        ["api_key_id"],
        ["id"],
        source_schema="ops",
        referent_schema="ops",
        ondelete="SET NULL",
    )
    # Entries naming an employee no longer on record keep their `actor` (the email) only.
    op.execute(
        "UPDATE ops.audit_log a SET actor_employee_id = NULL WHERE actor_employee_id IS NOT NULL "
        "AND NOT EXISTS (SELECT 1 FROM erp.employee e WHERE e.id = a.actor_employee_id)"
    )
    op.create_foreign_key(
        op.f("fk_audit_log_actor_employee_id_employee"),
        "audit_log",
        "employee",
        ["actor_employee_id"],
        ["id"],
        source_schema="ops",
        referent_schema="erp",
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        op.f("ck_audit_log_source"),
        "audit_log",
        "source IN ('api', 'api_key', 'worker', 'import', 'system')",
        schema="ops",
    )
    # One notification per statement that writes events, naming the range of their ids:
    # NOTIFY is delivered at commit, in commit order, and never for a rolled-back
    # transaction, so listeners learn of exactly the committed events, at once.
    op.execute(NOTIFY_FUNCTION)
    op.execute(
        "CREATE TRIGGER outbox_announce AFTER INSERT ON ops.outbox "
        "REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT "
        "EXECUTE FUNCTION ops.announce_events()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER outbox_announce ON ops.outbox")
    op.execute("DROP FUNCTION ops.announce_events()")
    op.drop_constraint(op.f("ck_audit_log_source"), "audit_log", schema="ops", type_="check")
    op.drop_constraint(
        op.f("fk_audit_log_actor_employee_id_employee"),
        "audit_log",
        schema="ops",
        type_="foreignkey",
    )
    op.drop_constraint(
        op.f("fk_audit_log_api_key_id_api_key"), "audit_log", schema="ops", type_="foreignkey"
    )
    op.drop_index(op.f("ix_ops_audit_log_api_key_id"), table_name="audit_log", schema="ops")
    op.drop_column("audit_log", "api_key_id", schema="ops")
    op.drop_column("audit_log", "source", schema="ops")
    op.drop_index(
        op.f("ix_ops_webhook_attempt_delivery_id"), table_name="webhook_attempt", schema="ops"
    )
    op.drop_table("webhook_attempt", schema="ops")
    op.drop_index(
        "ix_webhook_delivery_due",
        table_name="webhook_delivery",
        schema="ops",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_index(
        op.f("ix_ops_webhook_delivery_event_id"), table_name="webhook_delivery", schema="ops"
    )
    op.drop_index(
        op.f("ix_ops_webhook_delivery_endpoint_id"), table_name="webhook_delivery", schema="ops"
    )
    op.drop_table("webhook_delivery", schema="ops")
    op.drop_index(
        op.f("ix_ops_webhook_endpoint_created_by_id"), table_name="webhook_endpoint", schema="ops"
    )
    op.drop_table("webhook_endpoint", schema="ops")
    op.drop_index(op.f("ix_ops_api_key_owner_id"), table_name="api_key", schema="ops")
    op.drop_table("api_key", schema="ops")
    op.drop_table("persisted_operation", schema="ops")
