"""Real time: subscribers on one API process under a steady stream of commits, and webhooks
under faults.

    python -m tests.benchmarks.realtime --subscribers 1000 --rate 50 --seconds 20 --events 10000

Subscriptions. On a scratch database with a small demo company, one `bizgraph serve`
process; this process opens `--subscribers` WebSocket connections (graphql-transport-ws),
one subscription each: `ticketUpdated(customer:)` on distinct customers, and one in
`--broad-every` (100) on every ticket. Then it commits `--rate` tickets a second for `--seconds`, each
with its outbox event in the same transaction, for customers with a subscriber, and times
commit → receive for every update (both clocks are this process's). Before the subscribers
connect and once they idle, the API process's resident memory is read (/proc): the
difference per subscription is its memory at rest (connection, subscription, queue).

Webhooks: `tests.benchmarks.webhooks.measure` with `--events` (0 leaves it out).
"""

import argparse
import asyncio
import json
import random
import signal
import statistics
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import websockets
from strawberry.relay import to_base64

from api.security.tokens import mint
from domain.core.sessions import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.benchmarks import webhooks
from tests.benchmarks.scratch import scratch_database, scratch_redis
from tests.faults.processes import BizgraphProcess, free_port, wait_until

SECRET = "a-benchmark-only-secret-of-32-bytes-or-more"
SUBSCRIPTION = """subscription($customer: ID) { ticketUpdated(customer: $customer) {
  cursor action ticket { id subject status customer { name } } } }"""
TICKET = """
WITH t AS (
  INSERT INTO crm.ticket (number, customer_id, subject, category, priority, status, opened_at)
  VALUES ('BENCH-' || $2, $1, 'Benchmark ' || $2, 'question', 'normal', 'open', now())
  RETURNING id, customer_id)
INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, customer_id)
SELECT 'ticket.opened', 'ticket', id, customer_id FROM t RETURNING id
"""


@dataclass
class Subscribed:
    received: list[tuple[int, float]]  # (event id, when received)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def _subscriber(
    url: str,
    token: str,
    customer: str | None,
    ready: asyncio.Event,
    stop: asyncio.Event,
    into: Subscribed,
    counter: list[int],
) -> None:
    async with websockets.connect(
        url,
        subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
        max_queue=None,
        ping_interval=None,
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"token": token}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        variables = {"customer": customer} if customer else {}
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIPTION, "variables": variables},
                }
            )
        )
        # The server starts listening as it handles `subscribe`; an unknown operation's error
        # on the same connection comes back after it.
        await ws.send(
            json.dumps(
                {
                    "id": "p",
                    "type": "subscribe",
                    "payload": {"query": "subscription { noSuchField }"},
                }
            )
        )
        while json.loads(await ws.recv()).get("id") != "p":
            pass
        counter[0] += 1
        if counter[0] == counter[1]:
            ready.set()
        receiving = asyncio.ensure_future(_receive(ws, into))
        await stop.wait()
        receiving.cancel()


async def _receive(ws: websockets.ClientConnection, into: Subscribed) -> None:
    while True:
        message = json.loads(await ws.recv())
        if message.get("type") == "next" and message.get("id") == "1":
            cursor = message["payload"]["data"]["ticketUpdated"]["cursor"]
            into.received.append((int(cursor), time.time()))
        elif message.get("type") == "ping":
            await ws.send(json.dumps({"type": "pong"}))


async def _subscriptions(database_url: str, redis_url: str, args: argparse.Namespace) -> None:
    dsn = asyncpg_dsn(database_url)
    await seed_database(database_url, customers=max(args.subscribers, 200), seed=7, reset=True)
    connection = await asyncpg.connect(dsn)
    admin = await connection.fetchval(
        "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id LIMIT 1"
    )
    customers = [
        r["id"]
        for r in await connection.fetch(
            "SELECT id FROM crm.customer ORDER BY id LIMIT $1", args.subscribers
        )
    ]
    port = free_port()
    log = Path(tempfile.mkdtemp(prefix="bench-realtime-")) / "api.log"
    server = BizgraphProcess(
        ["serve"],
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "BIZGRAPH_PORT": str(port),
            "BIZGRAPH_JWT_SECRET": SECRET,
            "BIZGRAPH_LOG_LEVEL": "WARNING",
            "BIZGRAPH_MAX_SUBSCRIPTIONS_PER_EMPLOYEE": str(args.subscribers + 10),
            "BIZGRAPH_RATE_LIMIT_PER_MINUTE": "0",
        },
        log,
    ).start()
    try:
        await server.ready(f"http://127.0.0.1:{port}")
        token = mint(
            SECRET,
            email=admin,
            roles=["admin"],
            ttl_seconds=3600,
            issuer="bizgraph",
            audience="bizgraph-api",
        )
        url = f"ws://127.0.0.1:{port}/graphql"
        stop = asyncio.Event()
        # One subscription warms the process (modules, the listener) before it is measured.
        warm_ready, warm = asyncio.Event(), Subscribed([])
        warm_task = asyncio.ensure_future(
            _subscriber(url, token, None, warm_ready, stop, warm, [0, 1])
        )
        await asyncio.wait_for(warm_ready.wait(), 30)
        rss_before = _rss_kib(_serving_pid(server))
        ready, counter = asyncio.Event(), [0, args.subscribers]
        subscribed = [Subscribed([]) for _ in range(args.subscribers)]
        tasks = []
        for index, customer in enumerate(customers):
            broad = index % args.broad_every == 0
            target = None if broad else to_base64("Customer", customer)
            tasks.append(
                asyncio.ensure_future(
                    _subscriber(url, token, target, ready, stop, subscribed[index], counter)
                )
            )
            if index % 50 == 49:
                await asyncio.sleep(0)  # let connections open in waves
        started = time.monotonic()
        await asyncio.wait_for(ready.wait(), 300)
        connect_s = time.monotonic() - started
        rss_idle = _rss_kib(_serving_pid(server))

        committed: dict[int, float] = {}
        owed = 0
        broad = sum(1 for index in range(len(customers)) if index % args.broad_every == 0)
        interval = 1 / args.rate
        begin = time.monotonic()
        for n in range(int(args.rate * args.seconds)):
            await asyncio.sleep(max(0.0, begin + n * interval - time.monotonic()))
            index = random.randrange(len(customers))
            async with connection.transaction():
                event = await connection.fetchval(TICKET, customers[index], str(n))
            committed[event] = time.time()
            owed += broad + (0 if index % args.broad_every == 0 else 1)

        async def all_received() -> bool:
            return sum(len(s.received) for s in subscribed) >= owed

        with suppress(AssertionError):  # reported below as received of owed
            await wait_until(all_received, within=30, what="every update owed", interval=0.1)
        stop.set()
        await asyncio.gather(*tasks, warm_task, return_exceptions=True)
    finally:
        server.signal(signal.SIGTERM)
        await server.exit_code()
        await connection.close()
    latencies = sorted(
        (received - committed[event]) * 1000
        for s in subscribed
        for event, received in s.received
        if event in committed
    )
    print(
        f"subscribers {args.subscribers} (1 in {args.broad_every} on every ticket), "
        f"{len(committed)} events at {args.rate:g}/s, connected in {connect_s:.1f} s"
    )
    print(f"updates received {len(latencies)} of {owed} owed")
    print(
        f"commit -> receive: p50 {statistics.median(latencies):.1f} ms, "
        f"p99 {latencies[max(0, int(len(latencies) * 0.99) - 1)]:.1f} ms, "
        f"max {latencies[-1]:.1f} ms"
    )
    print(
        f"API process memory: {rss_before / 1024:.1f} MiB with one subscriber, "
        f"{rss_idle / 1024:.1f} MiB with {args.subscribers + 1} idle: "
        f"{(rss_idle - rss_before) / args.subscribers:.1f} KiB per idle subscription"
    )


def _serving_pid(server: BizgraphProcess) -> int:
    """The process serving requests: `bizgraph serve` with one worker serves in itself."""
    return server.pid


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0, help="events committed a second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--broad-every", type=int, default=100, help="one subscriber in N follows every ticket"
    )
    parser.add_argument("--events", type=int, default=10_000, help="webhook events (0: none)")
    args = parser.parse_args()
    with scratch_redis("bench-realtime") as redis_url:
        with scratch_database("bench-realtime") as database_url:
            asyncio.run(_subscriptions(database_url, redis_url, args))
        if args.events:
            with scratch_database("bench-webhooks") as database_url:
                figures = asyncio.run(webhooks.measure(database_url, redis_url, args.events))
            webhooks.report(figures)


if __name__ == "__main__":
    main()
