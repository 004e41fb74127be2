"""Nightly housekeeping deletes what retention no longer needs, and nothing else."""

from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.sessions import asyncpg_dsn
from workers import jobs


async def test_housekeeping_keeps_what_is_still_needed(
    database_url: str, clean_db: AsyncEngine
) -> None:
    db = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await db.execute(
            """
            INSERT INTO ops.outbox (topic, aggregate_type, aggregate_id, processed_at) VALUES
              ('old.relayed', 'x', 1, now() - interval '8 days'),
              ('new.relayed', 'x', 2, now() - interval '1 day'),
              ('old.pending', 'x', 3, NULL);
            UPDATE ops.outbox SET created_at = now() - interval '30 days';
            INSERT INTO ops.idempotency_key
              (principal, operation, key, request_hash, response, created_at)
            VALUES ('employee:1', 'salesOrderPlace', 'old', 'h', '{}', now() - interval '8 days'),
                   ('employee:1', 'salesOrderPlace', 'new', 'h', '{}', now());
            INSERT INTO ops.job_run (name, status, started_at, finished_at) VALUES
              ('fit', 'succeeded', now() - interval '200 days', now() - interval '200 days'),
              ('fit', 'failed', now() - interval '100 days', now() - interval '100 days'),
              ('old_job', 'succeeded', now() - interval '300 days', now() - interval '300 days'),
              ('old_job', 'succeeded', now() - interval '100 days', now() - interval '100 days');
            INSERT INTO analytics.forecast_run (scope, key, status, started_at) VALUES
              ('company', '', 'succeeded', now() - interval '60 days'),
              ('company', '', 'succeeded', now() - interval '40 days'),
              ('tier', 'gold', 'succeeded', now() - interval '90 days'),
              ('company', '', 'failed', now() - interval '1 day');
            """
        )
        old_company = await db.fetchval(
            "SELECT id FROM analytics.forecast_run WHERE started_at < now() - interval '50 days' "
            "AND scope = 'company'"
        )
        await db.execute(
            "INSERT INTO analytics.revenue_forecast_point (run_id, day, revenue, revenue_low, "
            "revenue_high) VALUES ($1, current_date, 1, 0, 2)",
            old_company,
        )
        ctx: dict[str, Any] = {"engine": clean_db}
        deleted = await jobs.housekeeping(ctx)
        outbox = [r["topic"] for r in await db.fetch("SELECT topic FROM ops.outbox ORDER BY id")]
        keys = [r["key"] for r in await db.fetch("SELECT key FROM ops.idempotency_key")]
        runs = await db.fetch(
            "SELECT name, status, finished_at < now() - interval '250 days' AS ancient "
            "FROM ops.job_run WHERE name <> 'housekeeping' ORDER BY name, started_at"
        )
        forecasts = await db.fetch(
            "SELECT scope, status, started_at > now() - interval '50 days' AS recent "
            "FROM analytics.forecast_run ORDER BY scope, started_at"
        )
        points = await db.fetchval("SELECT count(*) FROM analytics.revenue_forecast_point")
    finally:
        await db.close()
    assert outbox == ["new.relayed", "old.pending"]  # pending events are never deleted
    assert keys == ["new"]
    # The only successful run of `fit` stays however old; `old_job` keeps its newest.
    assert [(r["name"], r["status"], r["ancient"]) for r in runs] == [
        ("fit", "succeeded", False),
        ("old_job", "succeeded", False),
    ]
    assert [(r["scope"], r["status"], r["recent"]) for r in forecasts] == [
        ("company", "succeeded", True),
        ("company", "failed", True),
        ("tier", "succeeded", False),
    ]
    assert points == 0  # the old company run's points went with it
    assert deleted == 5  # 1 event, 1 key, 2 runs, 1 forecast run
