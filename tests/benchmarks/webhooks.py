"""Webhooks under faults: N events to three endpoints — one healthy, one answering 500, one
answering after 10 s (the sender's time-out) — with a real local HTTP receiver.

    python -m tests.benchmarks.webhooks --events 10000

On a scratch database (DATABASE_URL's server, or an embedded PostgreSQL) and with the
receiver in a process of its own:

1. baseline: the events to the healthy endpoint alone — the sender's pace with no fault;
2. beside a slow endpoint: the same number of events to a healthy endpoint and one
   answering after 10 s, measuring how long the healthy one takes to have them all (a slow
   endpoint must delay no one);
   faults: the same again to a healthy endpoint, one answering 500 and a slow one;
3. recovery: the failing and the slow endpoint answer again and their retries fall due
   (the time between is not waited for); then every event must reach both, none lost.

The healthy endpoint must have had each event once in effect (distinct ids = events).
`measure(database_url, events)` is the benchmark itself, for other suites to call.
"""

import argparse
import asyncio
import socket
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import asdict, dataclass
from typing import Any

import httpx
from arq import create_pool
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from domain.core.access import Viewer
from domain.core.journal import Journal
from domain.core.sessions import create_engine
from domain.integrations import endpoints
from tests.benchmarks.scratch import scratch_database, scratch_redis
from workers.relay import relay_pending
from workers.settings import redis_settings
from workers.webhooks import SenderOptions, deliver_due

ADMIN = Viewer.system()
COMMIT_BATCH = 1000


@dataclass
class Figures:
    events: int
    relay_s: float  # the relay owing every event to its endpoints (all phases)
    baseline_s: float  # the healthy endpoint alone: first to last 2xx
    beside_slow_s: float  # a healthy endpoint beside a slow one only
    healthy_with_faults_s: float  # the healthy endpoint beside a failing and a slow one
    slow_most_in_flight: int  # the slow endpoint's requests at once (its slots)
    recovery_s: float  # the failing and slow ones' retries, once they answer again
    healthy_received: int  # requests: more than `events` = duplicates
    healthy_unique: int
    failing_unique: int
    slow_unique: int
    attempts_logged: int
    healthy_p50_ms: float
    healthy_p95_ms: float


class Receiver:
    """The receiver process, and its figures over HTTP."""

    def __init__(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.webhook_receiver", str(self.port)]
        )

    async def started(self, client: httpx.AsyncClient) -> None:
        deadline = time.perf_counter() + 30
        while True:
            try:
                await client.get(f"{self.base}/stats")
                return
            except httpx.TransportError:
                if time.perf_counter() > deadline or self.process.poll() is not None:
                    raise
                await asyncio.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


async def _commit_events(engine: AsyncEngine, topic: str, count: int) -> None:
    for start in range(0, count, COMMIT_BATCH):
        async with AsyncSession(engine) as session, session.begin():
            journal = Journal(actor=ADMIN)
            for n in range(start, min(start + COMMIT_BATCH, count)):
                journal.record(topic, entity_type="segment", entity_id=n + 1, changes={"n": n})
            await journal.write(session)


async def _endpoint(engine: AsyncEngine, url: str, topic: str) -> int:
    async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
        journal = Journal(actor=ADMIN)
        made = await endpoints.create(
            session=session,
            journal=journal,
            url=url,
            description=None,
            event_types=[topic],
            active=True,
            https_only=False,
        )
        await journal.write(session)
    return made.id


async def _relay_all(engine: AsyncEngine, redis: Any) -> float:
    started = time.perf_counter()
    while await relay_pending(engine, redis):
        pass
    return time.perf_counter() - started


async def _beside(
    engine: AsyncEngine,
    redis: Any,
    client: httpx.AsyncClient,
    receiver: "Receiver",
    topic: str,
    name: str,
    events: int,
) -> dict[str, Any]:
    """`events` of `topic` sent while the worker's sender runs, until endpoint `name` has
    them all (its figures: first and last 2xx; `relay_s`: the relay's time owing them)."""
    await _commit_events(engine, topic, events)
    relay_s = await _relay_all(engine, redis)
    stop = asyncio.Event()
    sending = asyncio.create_task(_sender(engine, stop))
    reached = await _until(client, receiver.base, name, events)
    stop.set()
    await sending
    return {**reached, "relay_s": relay_s}


async def _sender(engine: AsyncEngine, stop: asyncio.Event) -> None:
    """The sender as the worker runs it: a loop spends its time budget, the next takes over
    (the cron job starts one every second), until told to stop."""
    while not stop.is_set():
        if not await deliver_due(engine, SenderOptions(), stop):
            with suppress(TimeoutError):  # nothing due: the next run is a second away
                await asyncio.wait_for(stop.wait(), 1.0)


async def _send_all(engine: AsyncEngine) -> None:
    """Run senders until a run finds nothing to send."""
    while await deliver_due(engine, SenderOptions()):
        pass


async def _until(client: httpx.AsyncClient, base: str, name: str, events: int) -> dict[str, Any]:
    while True:
        stats = (await client.get(f"{base}/stats")).json().get(name, {})
        if stats.get("unique", 0) >= events:
            return dict(stats)
        await asyncio.sleep(0.05)


async def measure(database_url: str, redis_url: str, events: int) -> Figures:
    """The benchmark on a migrated, empty database (see the module docstring)."""
    engine = create_engine(database_url, pool_size=5)
    redis = await create_pool(redis_settings(redis_url), default_queue_name="bench-webhooks")
    receiver = Receiver()
    try:
        async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
            await receiver.started(client)
            await client.post(f"{receiver.base}/mode/failing/fail")
            await client.post(f"{receiver.base}/mode/slow/slow")
            await _endpoint(engine, f"{receiver.base}/base", "segment.created")
            for name in ("healthy", "failing", "slow"):
                await _endpoint(engine, f"{receiver.base}/{name}", "segment.updated")
            await client.post(f"{receiver.base}/mode/sluggish/slow")
            for name in ("quick", "sluggish"):
                await _endpoint(engine, f"{receiver.base}/{name}", "segment.deleted")

            await _commit_events(engine, "segment.created", events)
            relay_s = await _relay_all(engine, redis)
            await _send_all(engine)
            base = await _until(client, receiver.base, "base", events)

            quick = await _beside(
                engine, redis, client, receiver, "segment.deleted", "quick", events
            )
            healthy = await _beside(
                engine, redis, client, receiver, "segment.updated", "healthy", events
            )
            stats = (await client.get(f"{receiver.base}/stats")).json()
            await client.post(f"{receiver.base}/mode/sluggish/ok")

            await client.post(f"{receiver.base}/mode/failing/ok")
            await client.post(f"{receiver.base}/mode/slow/ok")
            started = time.perf_counter()
            async with engine.begin() as connection:  # their retries fall due now
                await connection.execute(
                    text(
                        "UPDATE ops.webhook_delivery SET next_attempt_at = now(), "
                        "leased_until = NULL WHERE status = 'pending'"
                    )
                )
            await _send_all(engine)
            recovered = (await client.get(f"{receiver.base}/stats")).json()
            recovery_s = time.perf_counter() - started
        async with engine.connect() as connection:
            attempts, p50, p95 = (
                await connection.execute(
                    text(
                        "SELECT (SELECT count(*) FROM ops.webhook_attempt), "
                        "percentile_cont(0.5) WITHIN GROUP (ORDER BY a.latency_ms), "
                        "percentile_cont(0.95) WITHIN GROUP (ORDER BY a.latency_ms) "
                        "FROM ops.webhook_attempt a JOIN ops.webhook_delivery d "
                        "ON d.id = a.delivery_id JOIN ops.webhook_endpoint e ON e.id = d.endpoint_id "
                        "WHERE e.url LIKE '%/healthy'"
                    )
                )
            ).one()
    finally:
        receiver.stop()
        await redis.aclose()
        await engine.dispose()
    return Figures(
        events=events,
        relay_s=round(relay_s + quick["relay_s"] + healthy["relay_s"], 2),
        baseline_s=round(base["last"] - base["first"], 2),
        beside_slow_s=round(quick["last"] - quick["first"], 2),
        healthy_with_faults_s=round(healthy["last"] - healthy["first"], 2),
        slow_most_in_flight=stats["slow"]["most_in_flight"],
        recovery_s=round(recovery_s, 2),
        healthy_received=recovered["healthy"]["requests"],
        healthy_unique=recovered["healthy"]["unique"],
        failing_unique=recovered["failing"]["unique"],
        slow_unique=min(recovered["slow"]["unique"], recovered["sluggish"]["unique"]),
        attempts_logged=attempts,
        healthy_p50_ms=float(p50),
        healthy_p95_ms=float(p95),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    args = parser.parse_args()
    with (
        scratch_redis("bench-webhooks") as redis_url,
        scratch_database("bench-webhooks") as database_url,
    ):
        figures = asyncio.run(measure(database_url, redis_url, args.events))
    report(figures)


def report(figures: Figures) -> None:
    for name, value in asdict(figures).items():
        print(f"{name:>24}: {value}")
    once = figures.healthy_unique == figures.events
    none_lost = figures.failing_unique == figures.slow_unique == figures.events
    print("healthy endpoint had every event once in effect:", "yes" if once else "NO")
    print("none lost after the failing and slow ones recovered:", "yes" if none_lost else "NO")


if __name__ == "__main__":
    main()
