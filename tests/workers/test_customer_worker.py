"""Events become derived data through the real worker and Redis, and nothing is ever lost."""

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from arq import create_pool
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from api.embedded import EmbeddedRedis
from domain.analytics import clv, customer_forecast, metrics, recompute
from domain.analytics.daily import utc_today
from domain.analytics.runs import latest_details
from tests.conftest import Services
from tests.workers.conftest import enqueue, run_worker
from tests.workers.orders import place_order
from workers.job_names import REFRESH_CAMPAIGNS, REFRESH_CUSTOMER
from workers.relay import relay_pending
from workers.settings import redis_settings

FORECAST = (
    "SELECT expected_orders_90d, expected_revenue_90d, revenue_low, revenue_high, "
    "probability_alive, pipeline_value, method FROM analytics.customer_forecast "
    "WHERE customer_id = $1"
)
METRICS = (
    "SELECT lifetime_revenue, order_count, average_order_value, last_order_at, r_score, "
    "f_score, m_score, rfm_segment FROM analytics.customer_metrics WHERE customer_id = $1"
)

# Events still owing work; the refresh's own news (`customer_metrics.refreshed`) owes none.
PENDING_CAUSES = (
    "SELECT count(*) FROM ops.outbox WHERE processed_at IS NULL "
    "AND aggregate_type <> 'customer_metrics'"
)


async def _stocked_item(db: asyncpg.Connection, quantity: int) -> int:
    return await db.fetchval(  # type: ignore[no-any-return]
        "SELECT stock_item_id FROM erp.stock_level WHERE warehouse_id = 1 "
        "AND on_hand - reserved >= $1 ORDER BY stock_item_id LIMIT 1",
        quantity,
    )


async def _lead(db: asyncpg.Connection, offset: int = 0) -> int:
    return await db.fetchval(  # type: ignore[no-any-return]
        "SELECT id FROM crm.customer c WHERE NOT EXISTS "
        "(SELECT 1 FROM erp.sales_order o WHERE o.customer_id = c.id) ORDER BY id OFFSET $1",
        offset,
    )


async def _everything_once(engine: AsyncEngine) -> None:
    for step in ("metrics", "customers", "campaigns"):
        await recompute.run_step(engine, step)


async def test_full_recompute_matches_a_python_computation(
    engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    async with engine.begin() as connection:
        written = await metrics.recompute_all(connection)
    assert written == await demo.fetchval("SELECT count(*) FROM crm.customer")
    orders = await demo.fetch(
        "SELECT customer_id, subtotal FROM erp.sales_order WHERE status IN ('placed', 'confirmed', 'fulfilled')"
    )
    expected: dict[int, tuple[Decimal, int]] = {}
    for row in orders:
        revenue, count = expected.get(row["customer_id"], (Decimal(0), 0))
        expected[row["customer_id"]] = (revenue + row["subtotal"], count + 1)
    stored = {
        row["customer_id"]: (row["lifetime_revenue"], row["order_count"])
        for row in await demo.fetch(
            "SELECT customer_id, lifetime_revenue, order_count FROM analytics.customer_metrics"
        )
    }
    for customer_id, figures in expected.items():
        assert stored[customer_id] == figures
    scores = await demo.fetch(
        "SELECT r_score, rfm_segment FROM analytics.customer_metrics WHERE order_count > 0"
    )
    assert {row["r_score"] for row in scores} == {1, 2, 3, 4, 5}
    assert all(row["rfm_segment"] is not None for row in scores)


async def test_an_order_placed_updates_metrics_forecast_and_campaigns(
    database_url: str, redis_url: str, queue: str, engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    # A running campaign: one that ended touches no member added after its last day.
    campaign_id = await demo.fetchval(
        "INSERT INTO crm.campaign (name, channel, status, budget, starts_on) "
        "VALUES ('Running', 'email', 'active', 1000, current_date - 5) RETURNING id"
    )
    await _everything_once(engine)
    customer_id = await _lead(demo)
    # Attribution is last touch: this touch is the customer's latest (demo touches end at
    # midnight), so the order placed next belongs to this campaign.
    await demo.execute(
        "INSERT INTO crm.campaign_member (campaign_id, customer_id, added_at) "
        "VALUES ($1, $2, now())",
        campaign_id,
        customer_id,
    )
    before = await demo.fetchrow(FORECAST, customer_id)
    campaign_before = await demo.fetchrow(
        "SELECT targeted, attributed_orders, attributed_revenue FROM analytics.campaign_metrics "
        "WHERE campaign_id = $1",
        campaign_id,
    )
    assert before["method"] == customer_forecast.NO_PURCHASES
    assert before["probability_alive"] is None

    _, subtotal = await place_order(engine, customer_id, [(await _stocked_item(demo, 2), 2)])
    await run_worker(database_url, redis_url, queue)

    figures = await demo.fetchrow(METRICS, customer_id)
    assert (figures["lifetime_revenue"], figures["order_count"]) == (subtotal, 1)
    forecast = await demo.fetchrow(FORECAST, customer_id)
    assert forecast["method"] == customer_forecast.METHOD
    assert forecast["probability_alive"] == Decimal("1.0000")  # no repeat purchase: alive
    assert forecast["expected_orders_90d"] > 0
    assert forecast["revenue_low"] <= forecast["revenue_high"]
    campaign = await demo.fetchrow(
        "SELECT targeted, attributed_orders, attributed_revenue FROM analytics.campaign_metrics "
        "WHERE campaign_id = $1",
        campaign_id,
    )
    assert campaign["targeted"] == campaign_before["targeted"] + 1
    assert campaign["attributed_orders"] == campaign_before["attributed_orders"] + 1
    assert campaign["attributed_revenue"] == campaign_before["attributed_revenue"] + subtotal
    assert await demo.fetchval(PENDING_CAUSES) == 0
    # …and the refresh told subscribers and webhooks about it.
    assert await demo.fetchval(
        "SELECT count(*) FROM ops.outbox WHERE topic = 'customer_metrics.refreshed' "
        "AND customer_id = $1",
        customer_id,
    )
    assert await demo.fetchval("SELECT count(*) FROM ops.outbox_effect") == 0  # all work done


async def test_a_prospect_is_refreshed_whatever_the_fitted_parameters(
    engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    """A customer without a purchase has no history to score: only the pipeline moves, also
    when the fitted dropout shape is below 1 (the series path, which failed on no rows)."""
    await _everything_once(engine)
    details = await demo.fetchval(
        "SELECT details FROM ops.job_run WHERE name = $1 AND status = 'succeeded' "
        "ORDER BY id DESC LIMIT 1",
        customer_forecast.RUN,
    )
    await demo.execute(
        "INSERT INTO ops.job_run (name, status, finished_at, details) "
        "VALUES ($1, 'succeeded', now(), "
        "jsonb_set(CAST($2 AS jsonb), '{bgnbd,a}', to_jsonb(0.6)))",
        customer_forecast.RUN,
        details,
    )
    customer_id = await _lead(demo)
    await demo.execute(
        "INSERT INTO crm.opportunity (customer_id, name, stage, amount, probability, "
        "expected_close_on) VALUES ($1, 'Fit-out', 'proposal', 10000, 60, current_date + 20)",
        customer_id,
    )
    async with engine.begin() as connection:
        await recompute.refresh_customer(connection, customer_id)
    forecast = await demo.fetchrow(FORECAST, customer_id)
    assert forecast["method"] == customer_forecast.NO_PURCHASES
    assert forecast["pipeline_value"] >= Decimal("6000.00")


async def test_orders_placed_while_redis_is_down_are_not_lost(
    database_url: str,
    services: Services,
    engine: AsyncEngine,
    demo: asyncpg.Connection,
    queue: str,
    tmp_path: Path,
) -> None:
    # Stop a Redis this test may stop: the harness's own, or one started here when the
    # suite runs against a Redis given by REDIS_URL.
    redis = (
        services.redis if services.redis is not None else EmbeddedRedis(tmp_path, persistent=False)
    )
    redis_url = redis.url if services.redis is None else services.redis_url
    if services.redis is None:
        redis.start()
    await _everything_once(engine)
    customers = [await _lead(demo, offset) for offset in range(3)]
    item = await _stocked_item(demo, 3)
    redis.stop()
    try:
        placed = [await place_order(engine, customer_id, [(item, 1)]) for customer_id in customers]
        with pytest.raises((RedisConnectionError, ConnectionError, OSError)):
            await run_worker(database_url, redis_url, queue)
        # Committed with their events (the orders, and the leads turned active), waiting.
        assert (
            await demo.fetchval(
                "SELECT count(*) FROM ops.outbox WHERE processed_at IS NULL "
                "AND topic = 'sales_order.placed'"
            )
            == 3
        )
    finally:
        redis.start()
    try:
        await run_worker(database_url, redis_url, queue)
    finally:
        if services.redis is None:
            redis.stop()
    assert await demo.fetchval(PENDING_CAUSES) == 0
    for customer_id, (_, subtotal) in zip(customers, placed, strict=True):
        assert (await demo.fetchrow(METRICS, customer_id))["lifetime_revenue"] == subtotal
        assert (await demo.fetchrow(FORECAST, customer_id))["method"] == customer_forecast.METHOD


async def test_a_job_run_twice_leaves_the_same_rows(
    database_url: str, redis_url: str, queue: str, engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    await _everything_once(engine)
    customer_id = await demo.fetchval(
        "SELECT customer_id FROM erp.sales_order GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    )
    await place_order(engine, customer_id, [(await _stocked_item(demo, 1), 1)])
    snapshots: list[tuple[Any, ...]] = []
    for attempt in range(2):
        await enqueue(redis_url, queue, REFRESH_CUSTOMER, customer_id, job_id=f"twice:{attempt}")
        await run_worker(database_url, redis_url, queue)
        snapshots.append(
            (
                await demo.fetchrow(METRICS, customer_id),
                await demo.fetchrow(FORECAST, customer_id),
                await demo.fetch(
                    "SELECT campaign_id, targeted, attributed_orders, attributed_revenue, roi "
                    "FROM analytics.campaign_metrics ORDER BY campaign_id"
                ),
            )
        )
    assert snapshots[0] == snapshots[1]


async def test_a_burst_of_events_for_one_customer_is_one_job(
    redis_url: str, queue: str, engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    customer_id = await _lead(demo)
    for _ in range(5):
        await demo.execute(
            "INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, customer_id) "
            "VALUES ('customer.updated', 'customer', $1, $1)",
            customer_id,
        )
    newest = await demo.fetchval("SELECT max(id) FROM ops.outbox")
    redis = await create_pool(redis_settings(redis_url), default_queue_name=queue)
    try:
        assert await relay_pending(engine, redis) == 5
        jobs = await redis.queued_jobs(queue_name=queue)
    finally:
        await redis.aclose()
    assert sorted((job.function, job.args) for job in jobs) == [
        (REFRESH_CAMPAIGNS, ([[customer_id, newest]],)),
        (REFRESH_CUSTOMER, (customer_id, newest)),
    ]


async def test_a_stock_event_refreshes_replenishment(
    database_url: str, redis_url: str, queue: str, engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    await recompute.run_step(engine, "demand")
    item = await _stocked_item(demo, 5)
    before = await demo.fetchrow(
        "SELECT available, computed_at FROM analytics.demand_forecast WHERE stock_item_id = $1",
        item,
    )
    await place_order(engine, await _lead(demo), [(item, 5)])
    await run_worker(database_url, redis_url, queue)
    after = await demo.fetchrow(
        "SELECT available, computed_at FROM analytics.demand_forecast WHERE stock_item_id = $1",
        item,
    )
    assert after["available"] == before["available"] - 5
    assert after["computed_at"] > before["computed_at"]
    # The warehouse the order reserved in shows it too, in its own row.
    levels = await demo.fetch(
        "SELECT d.available, l.on_hand - l.reserved AS live FROM analytics.warehouse_demand d "
        "JOIN erp.stock_level l ON l.id = d.stock_level_id WHERE d.stock_item_id = $1",
        item,
    )
    assert levels and all(row["available"] == row["live"] for row in levels)


async def test_figures_from_an_older_snapshot_never_replace_newer_ones(
    engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    """A nightly run reads, computes for a while, then writes; a refresh may come between."""
    await _everything_once(engine)
    customer_id = await _lead(demo)
    async with engine.connect() as nightly:
        read_at: datetime = await nightly.scalar(text("SELECT now()"))
        stale_history = await customer_forecast.histories(nightly, utc_today())
        details = await latest_details(nightly, customer_forecast.RUN)
        assert details is not None
        await place_order(engine, customer_id, [(await _stocked_item(demo, 1), 1)])
        async with engine.begin() as refresh:
            await recompute.refresh_customer(refresh, customer_id)
        fresh_forecast = await demo.fetchrow(FORECAST, customer_id)
        fresh_metrics = await demo.fetchrow(METRICS, customer_id)
        scores = clv.score(clv.Models.from_details(details), stale_history, 90)
        await customer_forecast.store(nightly, stale_history, scores, utc_today(), read_at=read_at)
        await metrics.recompute_all(nightly)  # this transaction began before the refresh
        await nightly.commit()
    assert await demo.fetchrow(FORECAST, customer_id) == fresh_forecast
    assert fresh_forecast["method"] == customer_forecast.METHOD
    assert await demo.fetchrow(METRICS, customer_id) == fresh_metrics


async def test_owed_work_whose_job_was_lost_is_queued_again_after_its_deadline(
    database_url: str, redis_url: str, queue: str, engine: AsyncEngine, demo: asyncpg.Connection
) -> None:
    customer_id = await _lead(demo)
    await demo.execute(
        "INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, customer_id) "
        "VALUES ('customer.updated', 'customer', $1, $1)",
        customer_id,
    )
    owed = (
        "SELECT attempts, extract(epoch FROM due_at - now()) AS wait FROM ops.outbox_effect "
        "WHERE effect = 'customer' AND target = $1"
    )
    redis = await create_pool(redis_settings(redis_url), default_queue_name=queue)
    try:
        assert await relay_pending(engine, redis, deadline_s=30) == 1
        queued = await redis.queued_jobs(queue_name=queue)
        [job] = [j for j in queued if j.function == REFRESH_CUSTOMER]
        first = await demo.fetchrow(owed, customer_id)
        assert first["attempts"] == 1 and 0 < first["wait"] <= 30
        # Not due yet: nothing is queued twice.
        await relay_pending(engine, redis, deadline_s=30)
        assert await redis.zcard(queue) == 2  # the customer's job and the campaigns job

        await redis.delete(queue, *(f"arq:job:{j.job_id}" for j in queued))  # Redis lost them
        await demo.execute("UPDATE ops.outbox_effect SET due_at = now() - interval '1 second'")
        await relay_pending(engine, redis, deadline_s=30)
        again = [
            j for j in await redis.queued_jobs(queue_name=queue) if j.function == REFRESH_CUSTOMER
        ]
        assert [j.args for j in again] == [job.args]
        second = await demo.fetchrow(owed, customer_id)
        # Longer than any first deadline could be: the deadline doubled.
        assert second["attempts"] == 2 and 30 < second["wait"] <= 60
    finally:
        await redis.aclose()

    await run_worker(database_url, redis_url, queue)
    assert await demo.fetchval("SELECT count(*) FROM ops.outbox_effect") == 0
    assert (await demo.fetchrow(METRICS, customer_id))["order_count"] == 0  # the refresh ran
