"""Webhooks end to end against a real HTTP server: committed events are relayed, signed and
delivered by the worker's sender; faults (500, time-out, refused, slow) are logged and
retried; a failing endpoint is disabled; secrets rotate; events are replayed and pruned."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.retention import prune_operational
from domain.integrations import endpoints, schedule
from tests.workers.receiver import Receiver, refused_url, running_receiver
from tests.workers.webhook_steps import (
    FAST,
    add_endpoint,
    change,
    commit_events,
    make_due,
    receiver_accepts,
    redis,
    relay_and_send,
    rows,
)
from workers import jobs
from workers.relay import relay_pending
from workers.settings import WorkerSettings
from workers.webhooks import SenderOptions, deliver_due

__all__ = ["redis"]  # the fixture


@pytest.fixture
async def receiver(clean_db: AsyncEngine) -> AsyncIterator[Receiver]:
    async with running_receiver() as receiver:
        yield receiver


async def test_each_event_reaches_each_endpoint_that_wants_it_once_signed_and_in_order(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    every, every_secret = await add_endpoint(engine, receiver.url("every"))
    await add_endpoint(engine, receiver.url("tickets"), "ticket.*")
    await add_endpoint(engine, receiver.url("none"), "invoice.issued")
    segments = await commit_events(engine, "segment.created", 3)
    tickets = await commit_events(engine, "ticket.opened", 2)

    await relay_and_send(engine, redis, SenderOptions(timeout_s=2, per_endpoint=1, poll_s=0.02))
    await relay_and_send(engine, redis)  # relayed again: nothing more is owed or sent

    # The endpoints' own creations were committed before the relay ran: they are events too.
    created = await rows(engine, "SELECT id FROM ops.outbox WHERE topic LIKE 'webhook_endpoint.%'")
    got = receiver.at("every")
    assert [int(r.headers["bizgraph-event-id"]) for r in got] == sorted(
        [*segments, *tickets, *(row.id for row in created)]
    )
    assert [int(r.headers["bizgraph-event-id"]) for r in receiver.at("tickets")] == tickets
    assert receiver.at("none") == []
    first = next(r for r in got if r.headers["bizgraph-event-id"] == str(segments[0]))
    assert receiver_accepts(every_secret, first.headers, first.body, time.time())
    assert not receiver_accepts(every_secret, first.headers, first.body + b" ", time.time())
    assert first.headers["content-type"] == "application/json"
    assert first.headers["bizgraph-event-type"] == "segment.created"
    assert first.headers["bizgraph-delivery-attempt"] == "1"
    document = json.loads(first.body)
    assert document["id"] == str(segments[0]) and document["type"] == "segment.created"
    assert document["data"]["type"] == "Segment" and document["data"]["customerId"] is None
    assert document["data"]["changes"] == {"n": 1}
    [log] = await rows(
        engine,
        "SELECT d.status, d.attempts, a.status_code, a.latency_ms, a.response_excerpt "
        "FROM ops.webhook_delivery d JOIN ops.webhook_attempt a ON a.delivery_id = d.id "
        "WHERE d.endpoint_id = :e AND d.event_id = :ev",
        e=every,
        ev=segments[0],
    )
    assert tuple(log)[:3] == ("delivered", 1, 200) and log.latency_ms >= 0
    assert log.response_excerpt == "thanks"


async def test_faults_are_logged_and_retried_until_the_endpoint_answers(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    receiver.modes.update(fail="fail", hang="hang")
    await add_endpoint(engine, receiver.url("fail"), "segment.*")
    await add_endpoint(engine, receiver.url("hang"), "segment.*")
    await add_endpoint(engine, refused_url(), "segment.*")
    await commit_events(engine, "segment.created", 1)
    options = SenderOptions(timeout_s=0.5, poll_s=0.02)

    before = datetime.now(UTC)
    await relay_and_send(engine, redis, options)

    attempts = await rows(
        engine,
        "SELECT e.url, d.status, d.attempts, d.next_attempt_at, a.status_code, a.error, "
        "a.response_excerpt FROM ops.webhook_attempt a "
        "JOIN ops.webhook_delivery d ON d.id = a.delivery_id "
        "JOIN ops.webhook_endpoint e ON e.id = d.endpoint_id ORDER BY e.id",
    )
    by_url = {row.url.rsplit("/", 1)[1]: row for row in attempts}
    assert by_url["fail"].status_code == 500 and by_url["fail"].response_excerpt.startswith("boom")
    assert len(by_url["fail"].response_excerpt) == 500
    assert by_url["hang"].status_code is None and "no answer within 0.5 s" in by_url["hang"].error
    assert by_url["nobody"].status_code is None and "could not connect" in by_url["nobody"].error
    for row in attempts:
        assert (row.status, row.attempts) == ("pending", 1)
        first_step = timedelta(seconds=schedule.FIRST_RETRY_S)
        assert before + first_step / 2 <= row.next_attempt_at <= datetime.now(UTC) + first_step

    receiver.modes.update(fail="ok")
    await make_due(engine)
    await relay_and_send(engine, redis, options)
    [retried] = [r for r in receiver.at("fail") if r.headers["bizgraph-delivery-attempt"] == "2"]
    assert json.loads(retried.body)["type"] == "segment.created"
    statuses = await rows(
        engine,
        "SELECT e.url, d.status, d.attempts FROM ops.webhook_delivery d "
        "JOIN ops.webhook_endpoint e ON e.id = d.endpoint_id WHERE d.event_type = 'segment.created'",
    )
    assert sorted((r.url.rsplit("/", 1)[1], r.status, r.attempts) for r in statuses) == [
        ("fail", "delivered", 2),
        ("hang", "pending", 2),
        ("nobody", "pending", 2),
    ]


async def test_a_slow_endpoint_delays_no_one_else(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    receiver.modes.update(slow="slow:1.0")
    await add_endpoint(engine, receiver.url("slow"), "segment.*")
    await add_endpoint(engine, receiver.url("quick"), "segment.*")
    await commit_events(engine, "segment.created", 6)
    options = SenderOptions(timeout_s=5, per_endpoint=2, poll_s=0.02)

    started = time.perf_counter()
    await relay_and_send(engine, redis, options)

    quick, slow = receiver.at("quick"), receiver.at("slow")
    assert len(quick) == len(slow) == 6
    # Every quick delivery is in before the slow endpoint answered its first two.
    assert max(r.at for r in quick) - started < 1.0 < min(r.at for r in slow) - started
    assert receiver.most_in_flight["slow"] == 2  # its own slots only
    assert max(r.at for r in slow) - started >= 3.0


async def test_two_senders_deliver_each_event_once_within_the_per_endpoint_cap(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    receiver.modes.update(one="slow:0.01")
    await add_endpoint(engine, receiver.url("one"), "segment.*")
    events = await commit_events(engine, "segment.created", 120)
    await relay_pending(engine, redis)
    options = SenderOptions(timeout_s=5, per_endpoint=4, poll_s=0.01)
    await asyncio.gather(deliver_due(engine, options), deliver_due(engine, options))

    got = sorted(int(r.headers["bizgraph-event-id"]) for r in receiver.at("one"))
    assert got == events
    assert receiver.most_in_flight["one"] <= 4


async def test_an_endpoint_failing_for_a_day_is_disabled_and_resumes_when_enabled(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    receiver.modes.update(down="fail")
    down, _ = await add_endpoint(engine, receiver.url("down"), "segment.*")
    await add_endpoint(engine, receiver.url("watcher"), "webhook_endpoint.disabled")
    [event] = await commit_events(engine, "segment.created", 1)
    await relay_and_send(engine, redis)
    # A day of failing later: the next failed attempt is the tenth in a row.
    await rows(
        engine,
        "UPDATE ops.webhook_endpoint SET consecutive_failures = :n, "
        "failing_since = now() - interval '25 hours' WHERE id = :id RETURNING id",
        n=schedule.DISABLE_AFTER_FAILURES - 1,
        id=down,
    )
    await make_due(engine)
    await relay_and_send(engine, redis)

    [endpoint] = await rows(
        engine, "SELECT active, disabled_reason FROM ops.webhook_endpoint WHERE id = :id", id=down
    )
    assert not endpoint.active and "10 attempts in a row failed" in endpoint.disabled_reason
    [audit] = await rows(
        engine,
        "SELECT actor, source FROM ops.audit_log WHERE action = 'webhook_endpoint.disabled' "
        "AND entity_id = :id",
        id=down,
    )
    assert tuple(audit) == ("system", "worker")
    await relay_and_send(engine, redis)  # its event goes out to the other endpoint
    [told] = receiver.at("watcher")
    assert json.loads(told.body)["data"]["changes"]["active"] == {"from": True, "to": False}

    await make_due(engine)
    tried = len(receiver.at("down"))
    await relay_and_send(engine, redis)
    assert len(receiver.at("down")) == tried  # disabled: nothing is sent, nothing is lost
    [(status,)] = await rows(
        engine, "SELECT status FROM ops.webhook_delivery WHERE endpoint_id = :id", id=down
    )
    assert status == "pending"

    receiver.modes.update(down="ok")
    await change(
        engine, endpoints.update, endpoint_id=down, given={"active": True}, https_only=False
    )
    await relay_and_send(engine, redis)
    assert receiver.at("down")[-1].headers["bizgraph-event-id"] == str(event)
    [(status,)] = await rows(
        engine, "SELECT status FROM ops.webhook_delivery WHERE endpoint_id = :id", id=down
    )
    assert status == "delivered"


async def test_a_delivery_is_given_up_after_its_last_attempt(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    receiver.modes.update(down="fail")
    down, _ = await add_endpoint(engine, receiver.url("down"), "segment.*")
    await commit_events(engine, "segment.created", 1)
    await relay_and_send(engine, redis)
    await rows(
        engine,
        "UPDATE ops.webhook_delivery SET attempts = :n, next_attempt_at = now() "
        "WHERE endpoint_id = :id RETURNING id",
        n=schedule.MAX_ATTEMPTS - 1,
        id=down,
    )
    await relay_and_send(engine, redis)
    [delivery] = await rows(
        engine, "SELECT status, attempts FROM ops.webhook_delivery WHERE endpoint_id = :id", id=down
    )
    assert tuple(delivery) == ("failed", schedule.MAX_ATTEMPTS)
    assert receiver.at("down")[-1].headers["bizgraph-delivery-attempt"] == "15"


async def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    endpoint, old = await add_endpoint(engine, receiver.url("r"), "segment.*")
    rotated = await change(engine, endpoints.rotate_secret, endpoint_id=endpoint, overlap_hours=2)
    new = rotated.secret
    assert new != old
    await commit_events(engine, "segment.created", 1)
    await relay_and_send(engine, redis)
    [during] = receiver.at("r")
    assert during.headers["bizgraph-signature"].count("v1=") == 2
    assert receiver_accepts(old, during.headers, during.body, time.time())
    assert receiver_accepts(new, during.headers, during.body, time.time())

    await rows(
        engine,
        "UPDATE ops.webhook_endpoint SET previous_secret_expires_at = now() - interval '1 second' "
        "RETURNING id",
    )
    await commit_events(engine, "segment.updated", 1)
    await relay_and_send(engine, redis)
    after = receiver.at("r")[-1]
    assert after.headers["bizgraph-signature"].count("v1=") == 1
    assert receiver_accepts(new, after.headers, after.body, time.time())
    assert not receiver_accepts(old, after.headers, after.body, time.time())


async def test_a_replay_sends_the_events_of_a_period_again(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    endpoint, _ = await add_endpoint(engine, receiver.url("r"), "segment.created")
    early = await commit_events(engine, "segment.created", 2)
    [(middle,)] = await rows(engine, "SELECT clock_timestamp()")
    late = await commit_events(engine, "segment.created", 2)
    await commit_events(engine, "ticket.opened", 1)  # not wanted by the endpoint
    await relay_and_send(engine, redis)
    assert len(receiver.at("r")) == 4

    _, queued = await change(
        engine,
        endpoints.replay,
        endpoint_id=endpoint,
        start=middle,
        end=datetime.now(UTC) + timedelta(seconds=1),
    )
    assert queued == 2
    await relay_and_send(engine, redis)
    replayed = [int(r.headers["bizgraph-event-id"]) for r in receiver.at("r")[4:]]
    assert sorted(replayed) == late and not set(replayed) & set(early)


async def test_deliveries_and_attempts_go_with_their_events(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    await add_endpoint(engine, receiver.url("r"))
    await commit_events(engine, "segment.created", 3)
    await relay_and_send(engine, redis)
    assert len(await rows(engine, "SELECT id FROM ops.webhook_attempt")) >= 3
    await rows(
        engine, "UPDATE ops.outbox SET processed_at = now() - interval '8 days' RETURNING id"
    )
    async with engine.begin() as connection:
        deleted = await prune_operational(connection)
    assert deleted["outbox"] >= 3
    assert await rows(engine, "SELECT id FROM ops.webhook_delivery") == []
    assert await rows(engine, "SELECT id FROM ops.webhook_attempt") == []


async def test_the_sender_takes_no_work_when_nothing_is_due(
    engine: AsyncEngine, receiver: Receiver
) -> None:
    assert await deliver_due(engine, FAST) == 0


async def test_the_worker_starts_the_sender_every_second_and_runs_one_per_process(
    engine: AsyncEngine, redis: ArqRedis, receiver: Receiver
) -> None:
    [started] = [c for c in WorkerSettings.cron_jobs if c.name == "cron:deliver_webhooks"]
    assert started.second == set(range(60)) and started.unique
    await add_endpoint(engine, receiver.url("r"), "segment.*")
    await commit_events(engine, "segment.created", 1)
    await relay_pending(engine, redis)
    sender = asyncio.Lock()
    ctx: dict[str, object] = {"engine": engine, "webhook_sender": sender, "webhook_options": FAST}
    async with sender:  # this process's sender still runs: a new start leaves at once
        assert await jobs.deliver_webhooks(ctx) == 0
    assert receiver.at("r") == []
    assert await jobs.deliver_webhooks(ctx) == 1
    assert len(receiver.at("r")) == 1
