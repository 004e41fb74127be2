"""A burst waits its turn in a bounded queue; only past the bound is it refused, as OVERLOADED."""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from graphql import GraphQLError
from sqlalchemy import exc as sa_exc
from sqlalchemy import func, literal, select
from starlette.types import Receive, Scope, Send

from api import metrics
from api.admission import Admission, AdmissionQueue
from api.errors import masked_code
from domain.core.database_errors import PoolExhausted, is_database_unavailable, is_pool_exhausted
from domain.core.reads import ReadPool, compile_select
from domain.core.sessions import asyncpg_dsn


async def _let_tasks_run() -> None:
    """One turn of the event loop: tasks just created run up to their first wait (each
    takes its place in the queue before it awaits anything)."""
    await asyncio.sleep(0)


async def test_requests_are_admitted_in_arrival_order() -> None:
    queue = AdmissionQueue(capacity=1, depth=5, max_wait_s=60)
    assert await queue.enter()
    admitted: list[int] = []

    async def wait(number: int) -> None:
        assert await queue.enter()
        admitted.append(number)

    waiters = [asyncio.create_task(wait(n)) for n in range(4)]
    await _let_tasks_run()
    assert queue.queued == 4
    for expected, waiter in enumerate(waiters):
        queue.leave()
        await waiter  # done once admitted
        assert admitted == list(range(expected + 1))
    queue.leave()
    assert (queue.running, queue.queued) == (0, 0)


async def test_past_the_queue_depth_a_request_is_refused_at_once() -> None:
    queue = AdmissionQueue(capacity=2, depth=1, max_wait_s=60)
    assert await queue.enter()
    assert await queue.enter()
    waiting = asyncio.create_task(queue.enter())
    await _let_tasks_run()
    assert queue.queued == 1
    assert await queue.enter() is False
    queue.leave()
    assert await waiting
    queue.leave()
    queue.leave()
    assert (queue.running, queue.queued) == (0, 0)


async def test_a_wait_that_runs_out_is_refused_and_frees_its_place_in_the_queue() -> None:
    queue = AdmissionQueue(capacity=1, depth=1, max_wait_s=0.01)
    assert await queue.enter()
    assert await queue.enter() is False
    assert queue.queued == 0
    queue.leave()
    assert await queue.enter()  # nobody waits: the place is free again
    queue.leave()
    assert queue.running == 0


async def test_a_client_that_goes_away_while_waiting_leaves_the_queue() -> None:
    queue = AdmissionQueue(capacity=1, depth=2, max_wait_s=60)
    assert await queue.enter()
    gone = asyncio.create_task(queue.enter())
    patient = asyncio.create_task(queue.enter())
    await _let_tasks_run()
    assert queue.queued == 2
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    queue.leave()
    assert await patient  # the place went to the next waiter, not to the one that left
    queue.leave()
    assert (queue.running, queue.queued) == (0, 0)


@dataclass
class Held:
    """A client of an app that admits one request at a time and queues none; each request
    stays in the app until `release` is set."""

    client: httpx.AsyncClient
    queue: AdmissionQueue
    entered: asyncio.Event
    release: asyncio.Event


@pytest.fixture
async def held() -> AsyncIterator[Held]:
    entered, release = asyncio.Event(), asyncio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        entered.set()
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b'{"data": {}}'})

    queue = AdmissionQueue(capacity=1, depth=0, max_wait_s=60)
    transport = httpx.ASGITransport(app=Admission(app, queue))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Held(client, queue, entered, release)


async def test_a_burst_past_the_bound_gets_overloaded_with_retry_after(held: Held) -> None:
    refused_before = metrics.ADMISSION_REFUSED._value.get()
    first = asyncio.create_task(held.client.post("/graphql", json={}))
    await held.entered.wait()
    second = await held.client.post("/graphql", json={})
    assert second.status_code == 503
    assert second.headers["Retry-After"] == "15"  # a quarter of the longest wait
    [error] = second.json()["errors"]
    assert error["extensions"] == {"code": "OVERLOADED", "retryAfter": 15}
    assert "nothing was done" in error["message"]
    assert metrics.ADMISSION_REFUSED._value.get() == refused_before + 1
    held.release.set()
    assert (await first).status_code == 200
    assert (held.queue.running, held.queue.queued) == (0, 0)


async def test_other_paths_are_not_queued(held: Held) -> None:
    probe = asyncio.create_task(held.client.get("/healthz"))
    await held.entered.wait()
    assert held.queue.running == 0
    held.release.set()
    assert (await probe).status_code == 200


def test_a_pool_that_stays_busy_is_overload_not_an_outage() -> None:
    for busy in (PoolExhausted("no read connection"), sa_exc.TimeoutError("QueuePool limit")):
        assert is_pool_exhausted(busy)
        assert not is_database_unavailable(busy)
        assert masked_code(GraphQLError("x", original_error=busy)) == "OVERLOADED"
    refused = ConnectionRefusedError(111, "Connection refused")
    assert is_database_unavailable(refused) and not is_pool_exhausted(refused)


async def test_the_read_pool_reports_a_wait_that_ran_out_as_exhausted(database_url: str) -> None:
    pool = ReadPool(database_url, max_size=1, pool_timeout_s=0.05)
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    await holder.execute("SELECT pg_advisory_lock(4343)")
    locked = compile_select(select(func.pg_advisory_xact_lock_shared(literal(4343)).label("x")))
    blocked = asyncio.create_task(pool.fetch(locked))
    try:
        await _until_waiting_on_the_lock(holder)
        with pytest.raises(PoolExhausted):
            await pool.fetch(compile_select(select(literal(1).label("one"))))
    finally:
        await holder.execute("SELECT pg_advisory_unlock(4343)")
        await blocked
        await holder.close()
        await pool.close()


async def _until_waiting_on_the_lock(holder: asyncpg.Connection) -> None:
    """Until a statement of the pool waits for the holder's advisory lock."""
    waiting = 0
    while not waiting:
        waiting = await holder.fetchval(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
        )
