"""The outbox relay: committed `ops.outbox` events become work that is tracked until done.

Two steps, each its own transaction:

1. **Events become effects.** Pending events are claimed with `FOR UPDATE SKIP LOCKED`
   (several workers never take the same event), folded into `ops.outbox_effect` rows — the
   derived data they made stale — and marked processed together:
   - per customer with events (`customer_id` set): `customer` (metrics and forecast) and
     `campaigns` (the results of the campaigns the customer belongs to);
   - if anything that moves stock had events: `replenishment` (target 0);
   - per import job queued (`domain.exchange.jobs`): `import` (target: the job);
   - nothing for events about derived data (`customer_metrics.refreshed`).
   A row covers events up to its `event_id`; a newer event moves it up and makes it due now.
   In the same transaction each event is owed to every active webhook endpoint whose
   filters match it (`domain.integrations.deliveries.owe`): one pending delivery per event
   and endpoint, which the webhook sender (`workers.webhooks`) takes from there. Only
   committed events are seen, in the order they are relayed (a batch in id order).
2. **Due effects become jobs.** Effects whose `due_at` has passed are queued (claimed with
   `SKIP LOCKED` as well) and given a new deadline, doubling from `deadline_s` on each try
   up to an hour. One job per customer, one `refresh_campaigns` for all due customers (a
   campaign's figures span all its members, so one recompute per batch beats one per
   customer), one `refresh_replenishment`, one `run_import` per import job.

The job that does the work deletes its effect rows (up to the events it covered) in the
transaction that writes its results (`done`). So a row exists exactly while the work is
owed: a job lost with Redis, or one that failed, is queued again once its deadline passes,
and any loss heals by itself. A job still queued or running when that happens is not
duplicated: job ids name the effect and the newest event it covers, and arq ignores a job
whose id it still holds. If Redis is unreachable, step 2 rolls back and the effects wait.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from arq.connections import ArqRedis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.exchange.jobs import ENTITY_TYPE as IMPORT_JOB
from domain.integrations import deliveries as webhook_deliveries
from workers.job_names import (
    REFRESH_CAMPAIGNS,
    REFRESH_CUSTOMER,
    REFRESH_REPLENISHMENT,
    RUN_IMPORT,
)

BATCH = 500
DEADLINE_S = 30
MAX_DEADLINE_S = 3600
CUSTOMER, CAMPAIGNS, REPLENISHMENT, IMPORT = "customer", "campaigns", "replenishment", "import"
# Events telling that derived data was brought up to date: news for subscribers and webhooks,
# never the cause of more work (a customer's refresh would otherwise owe another one).
DERIVED_AGGREGATES = frozenset({"customer_metrics"})
# Aggregates whose events change available stock or what is on order.
STOCK_AGGREGATES = frozenset(
    {"sales_order", "delivery", "purchase_order", "stock_item", "stock_level", "stock_movement"}
)

CLAIM = text(
    """
    SELECT id, customer_id, aggregate_type, aggregate_id FROM ops.outbox
    WHERE processed_at IS NULL
    ORDER BY id
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
    """
)
MARK = text(
    "UPDATE ops.outbox SET processed_at = now(), attempts = attempts + 1 WHERE id = ANY(:ids)"
)
OWE = text(
    """
    INSERT INTO ops.outbox_effect (effect, target, event_id)
    SELECT * FROM unnest(CAST(:effects AS text[]), CAST(:targets AS bigint[]),
                         CAST(:events AS bigint[]))
    ON CONFLICT (effect, target) DO UPDATE
    SET event_id = greatest(ops.outbox_effect.event_id, EXCLUDED.event_id),
        due_at = now(), attempts = 0
    """
)
DUE = text(
    """
    SELECT effect, target, event_id FROM ops.outbox_effect
    WHERE due_at <= now()
    ORDER BY due_at
    LIMIT :batch
    FOR UPDATE SKIP LOCKED
    """
)
POSTPONE = text(
    """
    UPDATE ops.outbox_effect
    SET attempts = attempts + 1,
        due_at = now() + make_interval(secs => least(:deadline * power(2, attempts), :longest))
    WHERE (effect, target) IN (SELECT * FROM unnest(CAST(:effects AS text[]),
                                                    CAST(:targets AS bigint[])))
    """
)
DONE = text(
    """
    DELETE FROM ops.outbox_effect e
    USING unnest(CAST(:targets AS bigint[]), CAST(:events AS bigint[])) AS d(target, event_id)
    WHERE e.effect = :effect AND e.target = d.target AND e.event_id <= d.event_id
    """
)


@dataclass(frozen=True)
class Effect:
    effect: str
    target: int
    event_id: int


async def relay_pending(
    engine: AsyncEngine, redis: ArqRedis, *, deadline_s: float = DEADLINE_S
) -> int:
    """Fold pending events into effects, then queue the due effects; returns the events."""
    relayed = await _owe(engine)
    await _queue_due(engine, redis, deadline_s)
    return relayed


async def _owe(engine: AsyncEngine) -> int:
    async with engine.begin() as connection:
        events = (await connection.execute(CLAIM, {"batch": BATCH})).all()
        if not events:
            return 0
        newest: dict[tuple[str, int], int] = {}
        for event_id, customer_id, aggregate_type, aggregate_id in events:
            if aggregate_type in DERIVED_AGGREGATES:
                continue
            owed = [(CUSTOMER, customer_id), (CAMPAIGNS, customer_id)] if customer_id else []
            if aggregate_type in STOCK_AGGREGATES:
                owed.append((REPLENISHMENT, 0))
            if aggregate_type == IMPORT_JOB:
                owed.append((IMPORT, aggregate_id))
            for key in owed:
                newest[key] = max(event_id, newest.get(key, 0))
        if newest:
            await connection.execute(
                OWE,
                {
                    "effects": [effect for effect, _ in newest],
                    "targets": [target for _, target in newest],
                    "events": list(newest.values()),
                },
            )
        relayed = [event[0] for event in events]
        await webhook_deliveries.owe(connection, relayed)
        await connection.execute(MARK, {"ids": relayed})
    return len(events)


async def _queue_due(engine: AsyncEngine, redis: ArqRedis, deadline_s: float) -> None:
    async with engine.begin() as connection:
        due = [Effect(*row) for row in await connection.execute(DUE, {"batch": BATCH})]
        if not due:
            return
        for effect in due:
            if effect.effect == CUSTOMER:
                await redis.enqueue_job(
                    REFRESH_CUSTOMER,
                    effect.target,
                    effect.event_id,
                    _job_id=f"customer:{effect.target}:{effect.event_id}",
                )
        campaigns = [[e.target, e.event_id] for e in due if e.effect == CAMPAIGNS]
        if campaigns:
            newest = max(event_id for _, event_id in campaigns)
            await redis.enqueue_job(REFRESH_CAMPAIGNS, campaigns, _job_id=f"campaigns:{newest}")
        for effect in due:
            if effect.effect == REPLENISHMENT:
                await redis.enqueue_job(
                    REFRESH_REPLENISHMENT,
                    effect.event_id,
                    _job_id=f"replenishment:{effect.event_id}",
                )
            elif effect.effect == IMPORT:
                # One id per job: queued again past its deadline while it still runs (a large
                # file), arq ignores it; the job itself refuses to run twice at once.
                await redis.enqueue_job(
                    RUN_IMPORT, effect.target, effect.event_id, _job_id=f"import:{effect.target}"
                )
        await connection.execute(
            POSTPONE,
            {
                "effects": [e.effect for e in due],
                "targets": [e.target for e in due],
                "deadline": deadline_s,
                "longest": MAX_DEADLINE_S,
            },
        )


async def done(
    connection: AsyncConnection, effect: str, covered: Iterable[tuple[int, int]]
) -> None:
    """Mark `effect` done for (target, newest event covered) pairs, in the job's transaction."""
    pairs = list(covered)
    if pairs:
        await connection.execute(
            DONE,
            {
                "effect": effect,
                "targets": [target for target, _ in pairs],
                "events": [event_id for _, event_id in pairs],
            },
        )
