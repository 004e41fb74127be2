"""The outbox relay: committed `ops.outbox` events become de-duplicated jobs.

Events are claimed with `FOR UPDATE SKIP LOCKED` (several workers never take the same
event) and marked processed in the same transaction, after the enqueue succeeded: if Redis
is unreachable the transaction rolls back and the events wait for the next attempt.
Job ids name the customer and the newest event, so a burst of events for one customer is
one job, while an event arriving after that job ran still gets its own.
"""

from typing import Any

from arq.connections import ArqRedis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

BATCH = 500

CLAIM = text(
    """
    SELECT id, customer_id FROM ops.outbox
    WHERE processed_at IS NULL
    ORDER BY id
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
    """
)
MARK = text(
    "UPDATE ops.outbox SET processed_at = now(), attempts = attempts + 1 WHERE id = ANY(:ids)"
)


async def relay_pending(engine: AsyncEngine, redis: ArqRedis) -> int:
    """Enqueue jobs for pending events; returns how many events were relayed."""
    from workers.jobs import RECOMPUTE_CUSTOMER_METRICS

    async with engine.begin() as connection:
        events = (await connection.execute(CLAIM, {"batch": BATCH})).all()
        if not events:
            return 0
        newest: dict[int, int] = {}
        for event_id, customer_id in events:
            if customer_id is not None:
                newest[customer_id] = max(event_id, newest.get(customer_id, 0))
        for customer_id, event_id in newest.items():
            await redis.enqueue_job(
                RECOMPUTE_CUSTOMER_METRICS,
                customer_id,
                _job_id=f"customer-metrics:{customer_id}:{event_id}",
            )
        await connection.execute(MARK, {"ids": [event_id for event_id, _ in events]})
    return len(events)


__all__: list[Any] = ["relay_pending"]
