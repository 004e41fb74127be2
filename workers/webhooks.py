"""The webhook sender: due deliveries are signed and POSTed to their endpoints, never in a
request's path, each attempt logged (`domain.integrations.deliveries`).

One loop per worker process (`deliver_webhooks`, started every second, returns at once if
its loop still runs) claims due deliveries, sends them concurrently outside any
transaction, and records their outcomes together with its next claim, until nothing is due
or in flight, or its time budget is spent. A claim takes at most `per_endpoint` deliveries
in flight to one endpoint, counted in the database across every worker: a slow or dead
endpoint fills its own few slots, and every other endpoint's deliveries go past it. Each
request is cut off after `timeout_s`, answered or not.

At least once: a worker that dies mid-send leaves leased deliveries that are taken again
when the lease runs out, and a receiver that answered 2xx after the time-out gets the event
again. Receivers de-duplicate by `Bizgraph-Event-Id`.
"""

import asyncio
import time
from dataclasses import dataclass

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.integrations import deliveries, signing
from domain.integrations.deliveries import Claimed, Outcome

EXCERPT_CHARS = 500
USER_AGENT = "bizgraph-webhooks/1"


@dataclass(frozen=True)
class SenderOptions:
    timeout_s: float = 10.0  # connect + answer, for one attempt
    per_endpoint: int = 8  # requests in flight to one endpoint, across all workers
    in_flight: int = 200  # requests in flight from this loop
    budget_s: float = 50.0  # the loop takes no more work after this; the next run goes on
    poll_s: float = 0.2  # how often the loop looks for new work while requests are out


async def deliver_due(
    engine: AsyncEngine,
    options: SenderOptions | None = None,
    stop: asyncio.Event | None = None,
) -> int:
    """Send what is due until nothing is left (or the budget is spent, or `stop` is set:
    then what is in flight is finished and recorded); returns the attempts made."""
    options = options or SenderOptions()
    lease_s = deliveries.lease_for(options.timeout_s).total_seconds()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.budget_s
    pending: set[asyncio.Task[Outcome]] = set()
    finished: list[Outcome] = []
    attempts = 0
    limits = httpx.Limits(max_connections=options.in_flight, max_keepalive_connections=50)
    # No proxies from the environment: a delivery goes where its endpoint says.
    async with httpx.AsyncClient(
        limits=limits, trust_env=False, headers={"User-Agent": USER_AGENT}
    ) as client:
        try:
            while True:
                taking = loop.time() < deadline and not (stop is not None and stop.is_set())
                room = options.in_flight - len(pending) if taking else 0
                async with engine.begin() as connection:
                    await deliveries.record(connection, finished)
                    claimed = await deliveries.claim(
                        connection,
                        batch=room,
                        per_endpoint=options.per_endpoint,
                        lease_s=lease_s,
                    )
                finished = []
                pending.update(
                    asyncio.create_task(send(client, delivery, options.timeout_s))
                    for delivery in claimed
                )
                if not pending:
                    return attempts
                done, pending = await asyncio.wait(
                    pending, timeout=options.poll_s, return_when=asyncio.FIRST_COMPLETED
                )
                finished = [task.result() for task in done]
                attempts += len(finished)
        finally:
            # Cancelled (the job's time-out, a shutdown): what is still out is sent again
            # once its lease runs out.
            for task in pending:
                task.cancel()


def headers(delivery: Claimed, timestamp: int | None = None) -> dict[str, str]:
    """The request's headers: what the event is, which attempt, and its signature."""
    return {
        "Content-Type": "application/json",
        "Bizgraph-Event-Id": str(delivery.event_id),
        "Bizgraph-Event-Type": delivery.topic,
        "Bizgraph-Delivery-Attempt": str(delivery.attempt),
        signing.SIGNATURE_HEADER: signing.sign(delivery.secrets, delivery.body, timestamp),
    }


async def send(client: httpx.AsyncClient, delivery: Claimed, timeout_s: float) -> Outcome:
    """One attempt: POST the signed body; the answer's status and first bytes, or why none came."""
    started = time.perf_counter()

    def outcome(code: int | None, error: str | None = None, excerpt: str | None = None) -> Outcome:
        latency = round((time.perf_counter() - started) * 1000)
        return Outcome(delivery, code, latency, error, excerpt)

    try:
        async with asyncio.timeout(timeout_s):
            async with client.stream(
                "POST",
                delivery.url,
                content=delivery.body,
                headers=headers(delivery),
                timeout=timeout_s,
            ) as response:
                return outcome(response.status_code, None, await _excerpt(response))
    except (TimeoutError, httpx.TimeoutException):
        return outcome(None, f"no answer within {timeout_s:g} s")
    except httpx.ConnectError as error:
        return outcome(
            None, _clip(f"could not connect: {error}" if str(error) else "could not connect")
        )
    except httpx.HTTPError as error:
        return outcome(None, _clip(f"{type(error).__name__}: {error}"))


async def _excerpt(response: httpx.Response) -> str | None:
    # Only the start of the body is kept: a receiver's error page may be large.
    data = b""
    async for chunk in response.aiter_bytes():
        data += chunk
        if len(data) >= EXCERPT_CHARS * 4:
            break
    return _clip(data.decode("utf-8", errors="replace")) or None


def _clip(value: str) -> str:
    # PostgreSQL text holds no NUL characters.
    return value.replace("\x00", "")[:EXCERPT_CHARS]
