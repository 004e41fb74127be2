"""Every background run is recorded in `ops.job_run`: when, how many rows, what failed.

A run may leave `details` (JSON) behind: fitted model parameters and accuracy figures, so
later work can reuse the parameters and people can see what the numbers rest on.

A running run beats (`heartbeat_at`) every `HEARTBEAT_S`; one whose heartbeat is older than
`ABANDONED_AFTER_S` lost its process (a killed worker) and is marked failed by
`close_abandoned`, which workers call at start and every half minute.
"""

import asyncio
import json
import logging
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


HEARTBEAT_S = 10.0
ABANDONED_AFTER_S = 60

log = logging.getLogger("bizgraph.runs")


@asynccontextmanager
async def recorded_run(engine: AsyncEngine, name: str) -> AsyncIterator[RunRecord]:
    """Record a run's start, its heartbeat while it runs, then its end with rows written or
    the error that stopped it."""
    async with engine.begin() as connection:
        run_id = await connection.scalar(
            text("INSERT INTO ops.job_run (name, heartbeat_at) VALUES (:name, now()) RETURNING id"),
            {"name": name},
        )
    record = RunRecord(id=int(run_id or 0))
    beating = asyncio.create_task(_beat(engine, record.id))
    try:
        yield record
    except BaseException as error:
        beating.cancel()
        await _finish(engine, record, "failed", f"{error.__class__.__name__}: {error}")
        raise
    beating.cancel()
    await _finish(engine, record, "succeeded", None)


async def _beat(engine: AsyncEngine, run_id: int) -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_S)
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    text("UPDATE ops.job_run SET heartbeat_at = now() WHERE id = :id"),
                    {"id": run_id},
                )
        except Exception as error:  # the run itself will meet the same trouble and say so
            log.warning("heartbeat of run %s missed: %s", run_id, error)


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


async def close_abandoned(engine: AsyncEngine, *, older_than_s: int = ABANDONED_AFTER_S) -> int:
    """Mark runs still `running` whose heartbeat stopped `older_than_s` ago as failed: their
    process died with them, and they would otherwise look as if they were still going."""
    async with engine.begin() as connection:
        result = await connection.execute(
            text(
                "UPDATE ops.job_run SET status = 'failed', finished_at = now(), "
                "error = 'abandoned: its worker stopped before the run finished' "
                "WHERE status = 'running' "
                "AND coalesce(heartbeat_at, started_at) < now() - make_interval(secs => :older)"
            ),
            {"older": older_than_s},
        )
    return result.rowcount or 0
