"""How long operational rows are kept: what is no longer needed is deleted nightly.

The audit log is kept for ever (it is the record of who changed what). Relayed outbox events
and idempotency keys only matter while a retry or a relay could still need them; recorded
runs are kept long enough to compare a season of nightly runs.
"""

from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

RELAYED_EVENTS = timedelta(days=7)
IDEMPOTENCY_KEYS = timedelta(days=7)
JOB_RUNS = timedelta(days=90)

_PRUNE = {
    "outbox": (
        "DELETE FROM ops.outbox WHERE processed_at < now() - make_interval(secs => :age)",
        RELAYED_EVENTS,
    ),
    "idempotency_key": (
        "DELETE FROM ops.idempotency_key WHERE created_at < now() - make_interval(secs => :age)",
        IDEMPOTENCY_KEYS,
    ),
    # The newest successful run of each job stays: later work reuses its details (fitted
    # model parameters), however long ago it ran.
    "job_run": (
        "DELETE FROM ops.job_run WHERE finished_at < now() - make_interval(secs => :age) "
        "AND id NOT IN (SELECT DISTINCT ON (name) id FROM ops.job_run WHERE status = 'succeeded' "
        "ORDER BY name, finished_at DESC, id DESC)",
        JOB_RUNS,
    ),
}


async def prune_operational(connection: AsyncConnection) -> dict[str, int]:
    """Delete relayed events, idempotency keys and finished runs past their retention."""
    deleted = {}
    for table, (statement, age) in _PRUNE.items():
        result = await connection.execute(text(statement), {"age": age.total_seconds()})
        deleted[table] = result.rowcount or 0
    return deleted
