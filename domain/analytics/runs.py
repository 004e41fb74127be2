"""Every background run is recorded in `ops.job_run`: when, how many rows, what failed."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass
class RunRecord:
    id: int
    rows: int = 0


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
                "error = :error WHERE id = :id"
            ),
            {"status": status, "rows": record.rows, "error": error, "id": record.id},
        )
