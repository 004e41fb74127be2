"""Writing outbox events: the hand-off from a committed change to background work.

Call `emit` inside the mutation's transaction; the event commits with the change or not at
all. A relay (workers) later turns pending events into queued jobs.
"""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.ops import OutboxEvent


async def emit(
    *,
    session: AsyncSession,
    topic: str,
    aggregate_type: str,
    aggregate_id: int,
    customer_id: int | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxEvent:
    """Record that `topic` happened to an aggregate (and, when known, to which customer)."""
    event = OutboxEvent(
        topic=topic,
        aggregate_type=aggregate_type,
        aggregate_id=aggregate_id,
        customer_id=customer_id,
        payload=payload or {},
    )
    session.add(event)
    await session.flush()
    return event
