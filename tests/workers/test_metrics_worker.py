"""Worker: events in the outbox become metrics, through the real arq worker and Redis."""

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

from api.embedded import EmbeddedRedis
from domain.analytics import metrics
from domain.core.database import asyncpg_dsn
from domain.demo.seed import seed_database
from tests.conftest import Services
from workers.main import drain

TODAY = date(2026, 6, 30)


@pytest.fixture
async def db(database_url: str, clean_db: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    await seed_database(database_url, customers=80, seed=3, today=TODAY, reset=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def _run_worker_burst(database_url: str, redis_url: str, queue: str) -> None:
    await drain(database_url, redis_url, queue_name=queue)


async def test_full_recompute_matches_a_python_computation(
    engine: AsyncEngine, db: asyncpg.Connection
) -> None:
    async with engine.begin() as connection:
        written = await metrics.recompute_all(connection)
    assert written == await db.fetchval("SELECT count(*) FROM crm.customer")
    orders = await db.fetch(
        "SELECT customer_id, subtotal FROM erp.sales_order WHERE status IN ('placed', 'confirmed', 'fulfilled')"
    )
    expected: dict[int, tuple[Decimal, int]] = {}
    for row in orders:
        revenue, count = expected.get(row["customer_id"], (Decimal(0), 0))
        expected[row["customer_id"]] = (revenue + row["subtotal"], count + 1)
    stored = {
        row["customer_id"]: (row["lifetime_revenue"], row["order_count"])
        for row in await db.fetch(
            "SELECT customer_id, lifetime_revenue, order_count FROM analytics.customer_metrics"
        )
    }
    for customer_id, figures in expected.items():
        assert stored[customer_id] == figures
    scores = await db.fetch(
        "SELECT r_score, rfm_segment FROM analytics.customer_metrics WHERE order_count > 0"
    )
    assert {row["r_score"] for row in scores} == {1, 2, 3, 4, 5}
    assert all(row["rfm_segment"] is not None for row in scores)


async def test_running_a_job_twice_gives_the_same_rows(
    engine: AsyncEngine, db: asyncpg.Connection
) -> None:
    customer_id = await db.fetchval("SELECT customer_id FROM erp.sales_order LIMIT 1")
    async with engine.begin() as connection:
        await metrics.recompute_all(connection)
    snapshots = []
    for _ in range(2):
        async with engine.begin() as connection:
            await metrics.recompute_customer(connection, customer_id)
        snapshots.append(
            await db.fetchrow(
                "SELECT lifetime_revenue, order_count, r_score, f_score, m_score, rfm_segment "
                "FROM analytics.customer_metrics WHERE customer_id = $1",
                customer_id,
            )
        )
    assert snapshots[0] == snapshots[1]


async def test_an_order_event_updates_metrics_through_the_worker(
    database_url: str, redis_url: str, db: asyncpg.Connection
) -> None:
    customer_id = await db.fetchval("SELECT id FROM crm.customer WHERE status = 'lead' LIMIT 1")
    await db.execute(
        """
        WITH o AS (
          INSERT INTO erp.sales_order (number, customer_id, warehouse_id, status, subtotal, tax_total,
                                       total, ordered_at)
          VALUES ('SO-TEST-1', $1, 1, 'placed', 120.00, 0, 120.00, now()) RETURNING id)
        INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, customer_id)
        SELECT 'sales_order.placed', 'sales_order', id, $1 FROM o
        """,
        customer_id,
    )
    await _run_worker_burst(database_url, redis_url, queue=f"test-queue-{customer_id}")
    row = await db.fetchrow(
        "SELECT lifetime_revenue, order_count FROM analytics.customer_metrics WHERE customer_id = $1",
        customer_id,
    )
    assert (row["lifetime_revenue"], row["order_count"]) == (Decimal("120.00"), 1)
    assert await db.fetchval("SELECT count(*) FROM ops.outbox WHERE processed_at IS NULL") == 0


async def test_events_wait_in_the_outbox_while_redis_is_down(
    database_url: str, services: Services, db: asyncpg.Connection, tmp_path: Path
) -> None:
    # Stop a Redis this test may stop: the harness's own, or one started here when the
    # suite runs against a Redis given by REDIS_URL.
    redis = (
        services.redis if services.redis is not None else EmbeddedRedis(tmp_path, persistent=False)
    )
    redis_url = redis.url if services.redis is None else services.redis_url
    if services.redis is None:
        redis.start()
    customer_id = await db.fetchval("SELECT id FROM crm.customer ORDER BY id LIMIT 1")
    redis.stop()
    try:
        await db.execute(
            "INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, customer_id) "
            "VALUES ('customer.updated', 'customer', $1, $1)",
            customer_id,
        )
        with pytest.raises((RedisConnectionError, ConnectionError, OSError)):
            await _run_worker_burst(database_url, redis_url, queue="test-down")
        assert await db.fetchval("SELECT count(*) FROM ops.outbox WHERE processed_at IS NULL") == 1
    finally:
        redis.start()
    try:
        await _run_worker_burst(database_url, redis_url, queue="test-down")
    finally:
        if services.redis is None:
            redis.stop()
    assert await db.fetchval("SELECT count(*) FROM ops.outbox WHERE processed_at IS NULL") == 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM analytics.customer_metrics WHERE customer_id = $1", customer_id
        )
        == 1
    )
