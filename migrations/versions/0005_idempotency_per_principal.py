"""Idempotency keys per principal: another employee's key is another key.

Existing keys get the principal who made them, from the audit row of the change they
recorded (every keyed operation writes one in the same transaction). A key whose change
cannot be found (none should exist) gets a principal no viewer has, so it replays for no
one rather than for the wrong person.

Revision ID: 0005_idempotency_per_principal
Revises: 0004_search_indexes
Create Date: 2026-12-03 15:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_idempotency_per_principal"
down_revision: str | None = "0004_search_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The operations that took keys when this migration was written, with their audit action.
KEYED_ACTIONS = {
    "salesOrderPlace": "sales_order.placed",
    "invoiceIssue": "invoice.issued",
    "paymentRecord": "payment.recorded",
}
UNKNOWN = "unknown"


def upgrade() -> None:
    op.add_column(
        "idempotency_key",
        sa.Column("principal", sa.String(length=270), server_default=UNKNOWN, nullable=False),
        schema="ops",
    )
    for operation, action in KEYED_ACTIONS.items():
        op.execute(
            sa.text(
                "UPDATE ops.idempotency_key k SET principal = CASE"
                " WHEN a.actor_employee_id IS NOT NULL THEN 'employee:' || a.actor_employee_id"
                " ELSE 'email:' || lower(a.actor) END "
                "FROM (SELECT DISTINCT ON (entity_id) entity_id, actor_employee_id, actor"
                " FROM ops.audit_log WHERE action = :action ORDER BY entity_id, id) a "
                "WHERE k.operation = :operation AND a.entity_id = (k.response ->> 'id')::bigint"
            ).bindparams(action=action, operation=operation)
        )
    op.alter_column("idempotency_key", "principal", server_default=None, schema="ops")
    op.drop_constraint("pk_idempotency_key", "idempotency_key", type_="primary", schema="ops")
    op.create_primary_key(
        "pk_idempotency_key",
        "idempotency_key",
        ["principal", "operation", "key"],
        schema="ops",
    )


def downgrade() -> None:
    # Global keys again: where two principals share a key, the older one keeps it.
    op.execute(
        "DELETE FROM ops.idempotency_key k USING ops.idempotency_key older "
        "WHERE k.operation = older.operation AND k.key = older.key "
        "AND (older.created_at, older.principal) < (k.created_at, k.principal)"
    )
    op.drop_constraint("pk_idempotency_key", "idempotency_key", type_="primary", schema="ops")
    op.create_primary_key(
        "pk_idempotency_key", "idempotency_key", ["operation", "key"], schema="ops"
    )
    op.drop_column("idempotency_key", "principal", schema="ops")
