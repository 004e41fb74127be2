"""Recorded runs: one whose heartbeat stopped (a killed worker) is closed, live ones are not."""

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics.runs import close_abandoned
from domain.core.sessions import asyncpg_dsn


async def test_runs_whose_heartbeat_stopped_are_marked_failed(
    database_url: str, clean_db: AsyncEngine
) -> None:
    db = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await db.execute(
            "INSERT INTO ops.job_run (name, started_at, heartbeat_at) VALUES "
            "('cut_off', now() - interval '5 minutes', now() - interval '2 minutes'), "
            "('long', now() - interval '2 hours', now() - interval '5 seconds'), "
            "('old_style', now() - interval '2 hours', NULL)"
        )
        await db.execute(
            "INSERT INTO ops.job_run (name, started_at, finished_at, status) "
            "VALUES ('done', now() - interval '3 hours', now() - interval '3 hours', 'succeeded')"
        )
        assert await close_abandoned(clean_db) == 2
        rows = {
            row["name"]: (row["status"], row["finished_at"] is not None, row["error"])
            for row in await db.fetch("SELECT name, status, finished_at, error FROM ops.job_run")
        }
    finally:
        await db.close()
    assert rows["cut_off"][:2] == ("failed", True)
    assert "abandoned" in rows["cut_off"][2]
    assert rows["long"] == ("running", False, None)  # long, but its heartbeat is fresh
    assert rows["old_style"][:2] == ("failed", True)  # from before heartbeats: by its start
    assert rows["done"] == ("succeeded", True, None)
