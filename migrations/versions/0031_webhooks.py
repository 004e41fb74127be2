"""Webhooks: each delivery names its event's type and the sender's lease; endpoints keep
their health (failures since the last success) for the automatic disabling; due deliveries
are indexed per endpoint.

Revision ID: 0031_webhooks
Revises: 0030_integrations
Create Date: 2026-12-08 09:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_webhooks"
down_revision: str | None = "0030_integrations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "webhook_endpoint",
        sa.Column(
            "consecutive_failures", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        schema="ops",
    )
    op.add_column(
        "webhook_endpoint",
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        schema="ops",
    )
    op.add_column(
        "webhook_endpoint",
        sa.Column("last_success_at", sa.DateTime(timezone=True), nullable=True),
        schema="ops",
    )
    op.add_column(
        "webhook_delivery",
        sa.Column("event_type", sa.String(length=60), nullable=True),
        schema="ops",
    )
    op.execute(
        "UPDATE ops.webhook_delivery d SET event_type = o.topic FROM ops.outbox o "
        "WHERE o.id = d.event_id"
    )
    op.alter_column("webhook_delivery", "event_type", nullable=False, schema="ops")
    op.add_column(
        "webhook_delivery",
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        schema="ops",
    )
    op.create_index(
        "ix_webhook_delivery_endpoint_due",
        "webhook_delivery",
        ["endpoint_id", "next_attempt_at", "event_id"],
        unique=False,
        schema="ops",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_webhook_delivery_leased",
        "webhook_delivery",
        ["endpoint_id"],
        unique=False,
        schema="ops",
        postgresql_where=sa.text("leased_until IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_webhook_delivery_leased",
        table_name="webhook_delivery",
        schema="ops",
        postgresql_where=sa.text("leased_until IS NOT NULL"),
    )
    op.drop_index(
        "ix_webhook_delivery_endpoint_due",
        table_name="webhook_delivery",
        schema="ops",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_column("webhook_delivery", "leased_until", schema="ops")
    op.drop_column("webhook_delivery", "event_type", schema="ops")
    op.drop_column("webhook_endpoint", "last_success_at", schema="ops")
    op.drop_column("webhook_endpoint", "failing_since", schema="ops")
    op.drop_column("webhook_endpoint", "consecutive_failures", schema="ops")
