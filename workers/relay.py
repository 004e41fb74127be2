"""The outbox relay: committed `ops.outbox` events become de-duplicated jobs.

Events are claimed with `FOR UPDATE SKIP LOCKED` (several workers never take the same
event) and marked processed in the same transaction, after the enqueue succeeded: if Redis
is unreachable the transaction rolls back and the events wait for the next attempt. If the
commit fails after the enqueue, the events are relayed again later; jobs are idempotent.

What a batch of events leads to:
- per customer with events (`customer_id` set) → `refresh_customer` for that customer;
- if any customer had events → one `refresh_campaigns` for all of them (a campaign's figures
  span all its members, so one recompute per batch beats one per customer);
- if anything that moves stock had events → one `refresh_replenishment`.
Job ids name the newest event they cover, so a burst of events for one customer (or for
stock) in a batch is one job, while an event arriving after that job ran still gets its own.
"""

from arq.connections import ArqRedis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from workers.job_names import REFRESH_CAMPAIGNS, REFRESH_CUSTOMER, REFRESH_REPLENISHMENT

BATCH = 500
# Aggregates whose events change available stock or what is on order.
STOCK_AGGREGATES = frozenset(
    {"sales_order", "delivery", "purchase_order", "stock_item", "stock_level", "stock_movement"}
)

CLAIM = text(
    """
    SELECT id, customer_id, aggregate_type FROM ops.outbox
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
    async with engine.begin() as connection:
        events = (await connection.execute(CLAIM, {"batch": BATCH})).all()
        if not events:
            return 0
        newest: dict[int, int] = {}
        newest_stock_event = 0
        for event_id, customer_id, aggregate_type in events:
            if customer_id is not None:
                newest[customer_id] = max(event_id, newest.get(customer_id, 0))
            if aggregate_type in STOCK_AGGREGATES:
                newest_stock_event = max(event_id, newest_stock_event)
        for customer_id, event_id in newest.items():
            await redis.enqueue_job(
                REFRESH_CUSTOMER, customer_id, _job_id=f"customer:{customer_id}:{event_id}"
            )
        if newest:
            await redis.enqueue_job(
                REFRESH_CAMPAIGNS,
                sorted(newest),
                _job_id=f"campaigns:{max(newest.values())}",
            )
        if newest_stock_event:
            await redis.enqueue_job(
                REFRESH_REPLENISHMENT, _job_id=f"replenishment:{newest_stock_event}"
            )
        await connection.execute(MARK, {"ids": [event_id for event_id, _, _ in events]})
    return len(events)
