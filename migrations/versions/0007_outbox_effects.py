"""Outbox effects and run heartbeats: derived data owed is tracked until it is done.

`ops.outbox_effect` holds, per effect and target, the work that committed events made
due and no job has finished yet (the job deletes the row with its results); the relay
queues a job again when a row outlives its deadline, so work lost with Redis is redone.
`ops.job_run.heartbeat_at` is refreshed while a run is alive, so a run whose worker died
is marked failed within a minute, not after the longest job timeout.

Revision ID: 0007_outbox_effects
Revises: 0006_bi_read_rules
Create Date: 2026-12-06 06:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_outbox_effects"
down_revision: str | None = "0006_bi_read_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_effect",
        sa.Column("effect", sa.String(length=20), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "due_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("effect", "target", name=op.f("pk_outbox_effect")),
        schema="ops",
    )
    op.create_index("ix_outbox_effect_due", "outbox_effect", ["due_at"], schema="ops")
    op.add_column(
        "job_run",
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        schema="ops",
    )


def downgrade() -> None:
    op.drop_column("job_run", "heartbeat_at", schema="ops")
    op.drop_index("ix_outbox_effect_due", table_name="outbox_effect", schema="ops")
    op.drop_table("outbox_effect", schema="ops")
