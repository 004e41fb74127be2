"""Redis stopped: reads and mutations go on, the worker waits, and the backlog drains after."""

import signal
import uuid
from datetime import date
from pathlib import Path

import asyncpg
import httpx
from arq import create_pool
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from api.app import create_app
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn, create_engine
from domain.demo.seed import seed_database
from tests.api.conftest import TEST_SECRET
from tests.faults.conftest import StoppableRedis
from tests.faults.identity import admin_token
from tests.faults.mutations import place_order
from tests.faults.processes import free_port, wait_until, worker_process
from tests.workers.freshness import mark_figures_fresh
from tests.workers.orders import place_order as place_order_directly
from workers.relay import relay_pending
from workers.settings import redis_settings

READ = "query Read { customers(first: 3) { edges { node { name } } } }"


async def test_redis_outage_delays_background_work_but_loses_nothing(
    database_url: str, clean_db: AsyncEngine, stoppable_redis: StoppableRedis, tmp_path: Path
) -> None:
    await seed_database(database_url, customers=30, seed=5, today=date(2026, 6, 30), reset=True)
    db = await asyncpg.connect(asyncpg_dsn(database_url))
    await mark_figures_fresh(db)
    redis = stoppable_redis.server
    metrics_port = free_port()
    queue = f"test-outage-{uuid.uuid4().hex[:8]}"
    worker = worker_process(
        database_url,
        stoppable_redis.url,
        queue,
        tmp_path / "w.log",
        BIZGRAPH_WORKER_METRICS_PORT=str(metrics_port),
    )
    settings = Settings(
        DATABASE_URL=database_url, REDIS_URL=stoppable_redis.url, BIZGRAPH_JWT_SECRET=TEST_SECRET
    )
    app = create_app(settings)
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://test",
        headers={"Authorization": f"Bearer {await admin_token(database_url, settings)}"},
    )
    try:
        customers = [r["id"] for r in await db.fetch("SELECT id FROM crm.customer ORDER BY id")]
        # What is tested is the outage, not credit control: no order may bounce off a limit.
        await db.execute("UPDATE crm.customer SET credit_limit = NULL")
        # An item in stock, sold at the list price of the customers' currency.
        item = await db.fetchval(
            "SELECT stock_item_id FROM erp.stock_level GROUP BY 1 "
            "ORDER BY sum(on_hand - reserved) DESC, 1 LIMIT 1"
        )

        async def pending() -> int:
            return int(
                await db.fetchval("SELECT count(*) FROM ops.outbox WHERE processed_at IS NULL")
            )

        async def orders_counted(customer_id: int, orders: int) -> bool:
            counted = await db.fetchval(
                "SELECT order_count FROM analytics.customer_metrics WHERE customer_id = $1",
                customer_id,
            )
            return counted == orders

        async def order_count(customer_id: int) -> int:
            return int(
                await db.fetchval(
                    "SELECT count(*) FROM erp.sales_order WHERE customer_id = $1 "
                    "AND status IN ('placed', 'confirmed', 'fulfilled')",
                    customer_id,
                )
            )

        worker.start()
        await worker.wait_for_log("Starting worker")
        # The worker is working: an order before the outage reaches the metrics.
        await place_order(client, customers[0], item)
        expected = await order_count(customers[0])
        await wait_until(
            lambda: orders_counted(customers[0], expected), within=20, what="metrics before"
        )

        redis.stop()
        await worker.wait_for_log("redis unavailable")
        await worker.wait_for_log("retries remaining")  # it keeps trying to reconnect
        changed = customers[1:6]
        for customer_id in changed:
            await place_order(client, customer_id, item)
        # Committed, each with its events (the order, and a lead turned active), in the outbox.
        assert await pending() >= len(changed)

        read = await client.post("/graphql", json={"query": READ})
        assert "errors" not in read.json() and len(read.json()["data"]["customers"]["edges"]) == 3
        ready = await client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["redis"]["ok"] is False
        assert worker.alive()

        expected_orders = {c: await order_count(c) for c in changed}

        async def drained() -> bool:
            if await pending() > 0:
                return False
            return all([await orders_counted(c, n) for c, n in expected_orders.items()])

        redis.start()
        await wait_until(drained, within=30, what="outbox drained and metrics updated")
        assert worker.alive()  # the same process throughout: it never exited
        async with httpx.AsyncClient() as http:
            scraped = (await http.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(scraped)
            for sample in family.samples
        }
        succeeded = (("job", "refresh_customer"), ("outcome", "succeeded"))
        assert samples[("bizgraph_job_duration_seconds_count", succeeded)] == len(changed) + 1
        assert samples[("bizgraph_worker_redis_outages_total", ())] >= 1
        worker.signal(signal.SIGTERM)
        assert await worker.exit_code() == 0
    finally:
        worker.stop()
        await client.aclose()
        await app.state.bizgraph.engine.dispose()
        await db.close()
        if not redis.running:
            redis.start()


async def test_work_lost_with_redis_is_queued_again_until_every_customer_caught_up(
    database_url: str, clean_db: AsyncEngine, stoppable_redis: StoppableRedis, tmp_path: Path
) -> None:
    """Redis restarted empty with a backlog of jobs queued: the effects those jobs owed are
    still in PostgreSQL, and the relay queues them again once their deadline passes."""
    await seed_database(database_url, customers=30, seed=6, today=date(2026, 6, 30), reset=True)
    db = await asyncpg.connect(asyncpg_dsn(database_url))
    await mark_figures_fresh(db)
    engine = create_engine(database_url, pool_size=2)
    queue = f"test-lost-{uuid.uuid4().hex[:8]}"
    worker = worker_process(
        database_url, stoppable_redis.url, queue, tmp_path / "w.log", BIZGRAPH_EFFECT_DEADLINE_S="1"
    )
    try:
        customers = [r["id"] for r in await db.fetch("SELECT id FROM crm.customer ORDER BY id")]
        item = await db.fetchval(
            "SELECT stock_item_id FROM erp.stock_level GROUP BY 1 "
            "ORDER BY sum(on_hand - reserved) DESC, 1 LIMIT 1"
        )
        changed = customers[:12]
        for customer_id in changed:
            await place_order_directly(engine, customer_id, [(item, 1)])
        orders = {
            c: await db.fetchval(
                "SELECT count(*) FROM erp.sales_order WHERE customer_id = $1 "
                "AND status IN ('placed', 'confirmed', 'fulfilled')",
                c,
            )
            for c in changed
        }
        redis = await create_pool(redis_settings(stoppable_redis.url), default_queue_name=queue)
        try:
            await relay_pending(engine, redis, deadline_s=1)
            assert await redis.zcard(queue) >= len(changed)  # the backlog, queued
        finally:
            await redis.aclose()

        stoppable_redis.server.stop()
        stoppable_redis.server.start()
        redis = await create_pool(redis_settings(stoppable_redis.url), default_queue_name=queue)
        try:
            await redis.flushall()  # a restart without persistence, whatever this server keeps
            assert await redis.zcard(queue) == 0
        finally:
            await redis.aclose()

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
            return counted == orders and owed == 0

        worker.start()
        await wait_until(caught_up, within=60, what="every customer's figures caught up")
        assert "refresh_customer" in worker.log()
    finally:
        worker.stop()
        await engine.dispose()
        await db.close()
        if not stoppable_redis.server.running:
            stoppable_redis.server.start()
