"""Steps of the webhook tests: endpoints and events committed as the API and services would,
the relay and the sender run as the worker runs them, and a receiver's signature check."""

import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest
from arq import create_pool
from arq.connections import ArqRedis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.core.access import Viewer
from domain.core.journal import Journal
from domain.integrations import endpoints
from workers.relay import relay_pending
from workers.settings import redis_settings
from workers.webhooks import SenderOptions, deliver_due

ADMIN = Viewer.system()
FAST = SenderOptions(timeout_s=1.0, per_endpoint=8, poll_s=0.02, budget_s=30)


@pytest.fixture
async def redis(redis_url: str, queue: str) -> AsyncIterator[ArqRedis]:
    pool = await create_pool(redis_settings(redis_url), default_queue_name=queue)
    yield pool
    await pool.aclose()


async def add_endpoint(engine: AsyncEngine, url: str, *filters: str) -> tuple[int, str]:
    """An endpoint as `webhookEndpointCreate` makes it: its id and secret."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        journal = Journal(actor=ADMIN)
        endpoint = await endpoints.create(
            session=session,
            journal=journal,
            url=url,
            description=None,
            event_types=list(filters),
            active=True,
            https_only=False,
        )
        await journal.write(session)
    return endpoint.id, endpoint.secret


async def change(engine: AsyncEngine, service: Any, **arguments: Any) -> Any:
    """Run an endpoint service in its own committed transaction, as a mutation does."""
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        journal = Journal(actor=ADMIN)
        result = await service(session=session, journal=journal, **arguments)
        await journal.write(session)
    return result


async def commit_events(engine: AsyncEngine, topic: str, count: int) -> list[int]:
    """`count` committed events of `topic` (about segments 1..count); their outbox ids."""
    entity = topic.split(".")[0]
    async with AsyncSession(engine) as session, session.begin():
        journal = Journal(actor=ADMIN)
        for n in range(1, count + 1):
            journal.record(topic, entity_type=entity, entity_id=n, changes={"n": n})
        await journal.write(session)
        rows = await session.execute(
            text("SELECT id FROM ops.outbox WHERE topic = :topic ORDER BY id DESC LIMIT :n"),
            {"topic": topic, "n": count},
        )
        return sorted(row[0] for row in rows)


async def relay_and_send(
    engine: AsyncEngine, redis: ArqRedis, options: SenderOptions = FAST
) -> int:
    await relay_pending(engine, redis)
    return await deliver_due(engine, options)


async def make_due(engine: AsyncEngine) -> None:
    """Time passes: every waiting retry is due now."""
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE ops.webhook_delivery SET next_attempt_at = now() WHERE status = 'pending'")
        )


async def rows(engine: AsyncEngine, query: str, **params: Any) -> list[Any]:
    """The rows of a statement, committed (tests also move time with it)."""
    async with engine.begin() as connection:
        return list(await connection.execute(text(query), params))


def receiver_accepts(secret: str, headers: dict[str, str], body: bytes, now: float) -> bool:
    """What a receiver does with `Bizgraph-Signature`, from the documentation alone."""
    fields = [part.split("=", 1) for part in headers["bizgraph-signature"].split(",")]
    timestamp = int(next(value for key, value in fields if key == "t"))
    expected = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    fresh = abs(now - timestamp) <= 300
    return fresh and any(hmac.compare_digest(expected, v) for k, v in fields if k == "v1")


def iso(value: datetime) -> str:
    return value.isoformat()
