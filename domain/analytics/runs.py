"""Every background run is recorded in `ops.job_run`: when, how many rows, what failed.

A run may leave `details` (JSON) behind: fitted model parameters and accuracy figures, so
later work can reuse the parameters and people can see what the numbers rest on.
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


@dataclass
class RunRecord:
    id: int
    rows: int = 0
    details: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def recorded_run(engine: AsyncEngine, name: str) -> AsyncIterator[RunRecord]:
    """Record a run's start, then its end with rows written or the error that stopped it."""
    async with engine.begin() as connection:
        run_id = await connection.scalar(
            text("INSERT INTO ops.job_run (name) VALUES (:name) RETURNING id"), {"name": name}
        )
    record = RunRecord(id=int(run_id or 0))
    try:
        yield record
    except BaseException as error:
        await _finish(engine, record, "failed", f"{error.__class__.__name__}: {error}")
        raise
    await _finish(engine, record, "succeeded", None)


async def _finish(engine: AsyncEngine, record: RunRecord, status: str, error: str | None) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                "UPDATE ops.job_run SET finished_at = now(), status = :status, rows = :rows, "
                "error = :error, details = CAST(:details AS jsonb) WHERE id = :id"
            ),
            {
                "status": status,
                "rows": record.rows,
                "error": error,
                "details": json.dumps(record.details),
                "id": record.id,
            },
        )


async def latest_details(connection: AsyncConnection, name: str) -> dict[str, Any] | None:
    """The details of the newest successful run called `name`, if there is one."""
    details = await connection.scalar(
        text(
            "SELECT details FROM ops.job_run WHERE name = :name AND status = 'succeeded' "
            "ORDER BY finished_at DESC, id DESC LIMIT 1"
        ),
        {"name": name},
    )
    return dict(details) if details is not None else None


async def close_abandoned(engine: AsyncEngine, *, older_than_s: int) -> int:
    """Mark runs still `running` after `older_than_s` as failed: their worker died with them.

    No job outlives its timeout (the worker cancels it), so a run older than that was cut
    off by a killed worker and would otherwise look as if it were still going.
    """
    async with engine.begin() as connection:
        result = await connection.execute(
            text(
                "UPDATE ops.job_run SET status = 'failed', finished_at = now(), "
                "error = 'abandoned: its worker stopped before the run finished' "
                "WHERE status = 'running' "
                "AND started_at < now() - make_interval(secs => :older_than)"
            ),
            {"older_than": older_than_s},
        )
    return result.rowcount or 0
