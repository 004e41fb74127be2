"""Webhook deliveries from owed to delivered: made from committed events, taken by a sender,
and their outcome recorded.

- `owe` (the outbox relay, in the transaction that marks events processed): one pending
  delivery per event and active endpoint whose filters match it. The unique (endpoint,
  event) pair makes a second relay of the same event a no-op.
- `claim`: due pending deliveries of active endpoints, at most `per_endpoint` in flight to
  each (those already leased count), taken with `SKIP LOCKED` and leased: a delivery is not
  taken again until its lease runs out, so a sender that dies mid-send only delays it.
  The request is sent outside any transaction.
- `record`: each attempt's outcome — a 2xx delivers; anything else waits its retry
  (`domain.integrations.schedule`), or fails past the last attempt. An outcome applies only
  to the attempt it belongs to (a replay or a re-claim after a lost lease moved on). The
  endpoints' health is updated; those failing for a day are disabled, with an event.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, cast, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.core.access import Viewer
from domain.core.journal import Journal
from domain.integrations import schedule, signing
from domain.integrations.webhooks import DISABLED

# An endpoint `e` receives an event `o`: no filter, its exact type, or its entity's `.*`.
MATCHES = (
    "(cardinality(e.event_types) = 0 OR o.topic = ANY(e.event_types) "
    "OR split_part(o.topic, '.', 1) || '.*' = ANY(e.event_types))"
)
OWE = text(
    f"""
    INSERT INTO ops.webhook_delivery (endpoint_id, event_id, event_type)
    SELECT e.id, o.id, o.topic
    FROM ops.outbox o JOIN ops.webhook_endpoint e ON e.active AND {MATCHES}
    WHERE o.id = ANY(:ids)
    ORDER BY o.id, e.id
    ON CONFLICT (endpoint_id, event_id) DO NOTHING
    """
)
# MATERIALIZED: inlined into `locked`'s IN, the candidates (and the busy count below them)
# were computed again for every pending delivery under a generic plan: seconds per claim
# with a few thousand pending.
CLAIM = text(
    """
    WITH busy AS MATERIALIZED (
        SELECT endpoint_id, count(*) AS n FROM ops.webhook_delivery
        WHERE leased_until > now() GROUP BY endpoint_id
    ), candidates AS MATERIALIZED (
        SELECT due.id FROM ops.webhook_endpoint e
        LEFT JOIN busy b ON b.endpoint_id = e.id
        CROSS JOIN LATERAL (
            SELECT d.id FROM ops.webhook_delivery d
            WHERE d.endpoint_id = e.id AND d.status = 'pending' AND d.next_attempt_at <= now()
            ORDER BY d.next_attempt_at, d.event_id
            LIMIT greatest(:per_endpoint - coalesce(b.n, 0), 0)
        ) due
        WHERE e.active
    ), locked AS (
        -- From the candidates, by key: matching every due delivery against them would read
        -- the whole backlog of a slow endpoint on each claim.
        SELECT d.id FROM ops.webhook_delivery d
        WHERE d.id = ANY(ARRAY(SELECT id FROM candidates))
          AND d.status = 'pending' AND d.next_attempt_at <= now()
        ORDER BY d.next_attempt_at, d.event_id
        LIMIT :batch
        FOR UPDATE OF d SKIP LOCKED
    )
    UPDATE ops.webhook_delivery d
    SET attempts = d.attempts + 1,
        leased_until = now() + make_interval(secs => :lease),
        next_attempt_at = now() + make_interval(secs => :lease)
    FROM locked l, ops.webhook_endpoint e, ops.outbox o
    WHERE d.id = l.id AND e.id = d.endpoint_id AND o.id = d.event_id
    RETURNING d.id, d.endpoint_id, d.event_id, d.attempts, e.url, e.secret,
        CASE WHEN e.previous_secret_expires_at > now() THEN e.previous_secret END AS previous,
        o.topic, o.created_at, o.aggregate_type, o.aggregate_id, o.customer_id, o.payload
    """
)
LOCK = text("SELECT id FROM ops.webhook_delivery WHERE id = ANY(:ids) ORDER BY id FOR UPDATE")
LOG = text(
    """
    INSERT INTO ops.webhook_attempt
        (delivery_id, status_code, latency_ms, error, response_excerpt)
    SELECT * FROM unnest(CAST(:ids AS bigint[]), CAST(:codes AS smallint[]),
                         CAST(:latencies AS int[]), CAST(:errors AS text[]),
                         CAST(:excerpts AS text[]))
    """
)
SETTLE = text(
    """
    UPDATE ops.webhook_delivery d
    SET status = u.status, next_attempt_at = coalesce(u.next_at, d.next_attempt_at),
        delivered_at = CASE WHEN u.status = 'delivered' THEN now() ELSE d.delivered_at END,
        leased_until = NULL
    FROM unnest(CAST(:ids AS bigint[]), CAST(:attempts AS smallint[]),
                CAST(:statuses AS text[]), CAST(:next_at AS timestamptz[]))
        AS u(id, attempt, status, next_at)
    WHERE d.id = u.id AND d.attempts = u.attempt AND d.status = 'pending'
    """
)
HEALTH = text(
    """
    UPDATE ops.webhook_endpoint e
    SET consecutive_failures = CASE WHEN u.succeeded THEN u.failed_after
                                    ELSE e.consecutive_failures + u.failed_after END,
        last_success_at = CASE WHEN u.succeeded THEN now() ELSE e.last_success_at END,
        failing_since = CASE WHEN u.failed_after = 0 THEN NULL WHEN u.succeeded THEN now()
                             ELSE coalesce(e.failing_since, now()) END
    FROM unnest(CAST(:ids AS bigint[]), CAST(:succeeded AS boolean[]),
                CAST(:trailing AS int[])) AS u(id, succeeded, failed_after)
    WHERE e.id = u.id
    """
)
DISABLE = text(
    """
    UPDATE ops.webhook_endpoint
    SET active = false, updated_at = now(),
        disabled_reason = consecutive_failures || ' attempts in a row failed, none succeeded '
            || 'since ' || to_char(failing_since AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')
            || ' UTC'
    WHERE id = ANY(:ids) AND active AND consecutive_failures >= :failures
      AND failing_since <= now() - make_interval(secs => :sustained)
    RETURNING id, disabled_reason
    """
)


@dataclass(frozen=True)
class Claimed:
    """A delivery leased to this sender: where to send what, signed how."""

    id: int
    endpoint_id: int
    event_id: int
    attempt: int
    url: str
    topic: str
    body: bytes
    secrets: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code, or an error when there was no answer."""

    delivery: Claimed
    status_code: int | None
    latency_ms: int
    error: str | None = None
    excerpt: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def owe(connection: AsyncConnection, event_ids: Sequence[int]) -> int:
    """Owe each of these events to every active endpoint that wants it; returns the count."""
    result = await connection.execute(OWE, {"ids": list(event_ids)})
    return result.rowcount or 0


async def claim(
    connection: AsyncConnection, *, batch: int, per_endpoint: int, lease_s: float
) -> list[Claimed]:
    """Lease up to `batch` due deliveries, at most `per_endpoint` in flight to an endpoint."""
    if batch <= 0:
        return []
    rows = await connection.execute(
        CLAIM, {"batch": batch, "per_endpoint": per_endpoint, "lease": lease_s}
    )
    claimed = [
        Claimed(
            id=row.id,
            endpoint_id=row.endpoint_id,
            event_id=row.event_id,
            attempt=row.attempts,
            url=row.url,
            topic=row.topic,
            body=signing.body(
                event_id=row.event_id,
                topic=row.topic,
                created_at=row.created_at,
                aggregate_type=row.aggregate_type,
                aggregate_id=row.aggregate_id,
                customer_id=row.customer_id,
                changes=row.payload,
            ),
            secrets=(row.secret,) if row.previous is None else (row.secret, row.previous),
        )
        for row in rows
    ]
    # Sent in event order per endpoint, as far as the in-flight cap lets them.
    return sorted(claimed, key=lambda c: (c.endpoint_id, c.event_id))


def _settlement(outcome: Outcome, rng: random.Random) -> tuple[str, datetime | None]:
    if outcome.succeeded:
        return "delivered", None
    delay = schedule.retry_delay(outcome.delivery.attempt, rng)
    if delay is None:
        return "failed", None
    return "pending", datetime.now(UTC) + delay


async def record(
    connection: AsyncConnection, outcomes: Sequence[Outcome], rng: random.Random | None = None
) -> list[int]:
    """Log the attempts, settle their deliveries and the endpoints' health; returns the
    endpoints this disabled (each with a `webhook_endpoint.disabled` event)."""
    if not outcomes:
        return []
    rng = rng or random.Random()
    ids = [o.delivery.id for o in outcomes]
    # Locked first, in id order: the log may only name deliveries that still exist (an
    # endpoint deleted meanwhile took its deliveries along).
    present = set((await connection.execute(LOCK, {"ids": ids})).scalars())
    logged = [o for o in outcomes if o.delivery.id in present]
    if not logged:
        return []
    await connection.execute(
        LOG,
        {
            "ids": [o.delivery.id for o in logged],
            "codes": [o.status_code for o in logged],
            "latencies": [o.latency_ms for o in logged],
            "errors": [o.error for o in logged],
            "excerpts": [o.excerpt for o in logged],
        },
    )
    settled = [(o, *_settlement(o, rng)) for o in logged]
    await connection.execute(
        SETTLE,
        {
            "ids": [o.delivery.id for o, _, _ in settled],
            "attempts": [o.delivery.attempt for o, _, _ in settled],
            "statuses": [status for _, status, _ in settled],
            "next_at": [next_at for _, _, next_at in settled],
        },
    )
    return await _update_health(connection, logged)


async def _update_health(connection: AsyncConnection, outcomes: Sequence[Outcome]) -> list[int]:
    # Per endpoint, in the order the outcomes came: did any succeed, and how many failed
    # after the last success.
    health: dict[int, tuple[bool, int]] = {}
    for outcome in outcomes:
        succeeded, trailing = health.get(outcome.delivery.endpoint_id, (False, 0))
        if outcome.succeeded:
            health[outcome.delivery.endpoint_id] = (True, 0)
        else:
            health[outcome.delivery.endpoint_id] = (succeeded, trailing + 1)
    endpoints = sorted(health)  # row locks in id order: concurrent senders never deadlock
    await connection.execute(
        HEALTH,
        {
            "ids": endpoints,
            "succeeded": [health[e][0] for e in endpoints],
            "trailing": [health[e][1] for e in endpoints],
        },
    )
    failing = [e for e in endpoints if health[e][1]]
    if not failing:
        return []
    disabled = (
        await connection.execute(
            DISABLE,
            {
                "ids": failing,
                "failures": schedule.DISABLE_AFTER_FAILURES,
                "sustained": schedule.DISABLE_AFTER.total_seconds(),
            },
        )
    ).all()
    if disabled:
        await _announce_disabled(connection, [(row.id, row.disabled_reason) for row in disabled])
    return [row.id for row in disabled]


async def _announce_disabled(connection: AsyncConnection, disabled: list[tuple[int, str]]) -> None:
    """Audit each disabling and tell the other endpoints, in the same transaction."""
    journal = Journal(actor=Viewer.system("worker"))
    for endpoint_id, reason in disabled:
        journal.record(
            DISABLED,
            entity_type="webhook_endpoint",
            entity_id=endpoint_id,
            changes={"active": {"from": True, "to": False}, "disabled_reason": reason},
        )
    session = AsyncSession(bind=connection)
    try:
        await journal.write(session)
    finally:
        await session.close()


def lease_for(timeout_s: float) -> timedelta:
    """How long a sender holds a delivery: its request's time-out and a margin to record it."""
    return timedelta(seconds=timeout_s + 30)


def event_key(table: Any) -> ColumnElement[str]:
    """A delivery's event id as the API and the payloads show it: text (ids outgrow Int)."""
    return cast(table.c.event_id, Text)
