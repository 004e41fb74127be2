"""Recorded runs: one left `running` by a killed worker is closed, live ones are not."""

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.analytics.runs import close_abandoned
from domain.core.sessions import asyncpg_dsn


async def test_runs_older_than_any_job_may_last_are_marked_failed(
    database_url: str, clean_db: AsyncEngine
) -> None:
    db = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        await db.execute(
            "INSERT INTO ops.job_run (name, started_at) VALUES "
            "('cut_off', now() - interval '2 hours'), ('live', now() - interval '1 minute')"
        )
        await db.execute(
            "INSERT INTO ops.job_run (name, started_at, finished_at, status) "
            "VALUES ('done', now() - interval '3 hours', now() - interval '3 hours', 'succeeded')"
        )
        assert await close_abandoned(clean_db, older_than_s=660) == 1
        rows = {
            row["name"]: (row["status"], row["finished_at"] is not None, row["error"])
            for row in await db.fetch("SELECT name, status, finished_at, error FROM ops.job_run")
        }
    finally:
        await db.close()
    assert rows["cut_off"][:2] == ("failed", True)
    assert "abandoned" in rows["cut_off"][2]
    assert rows["live"] == ("running", False, None)
    assert rows["done"] == ("succeeded", True, None)
