"""An import job's run (`domain.exchange.jobs`): one run at a time, a run cut off taken up
again, a finished job never run twice, failures a person can read, progress written aside."""

from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.core.sessions import asyncpg_dsn
from domain.exchange import jobs
from domain.exchange.job_records import ProblemSpool, ProgressWriter, storable
from domain.exchange.reading import Problem

CUSTOMERS = b"external_id,name\nK-1,Nordwind GmbH\nK-2,Sud AG\n"


@pytest.fixture
async def db(clean_db: AsyncEngine, database_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    yield connection
    await connection.close()


async def _job(
    db: asyncpg.Connection,
    content: bytes = CUSTOMERS,
    *,
    kind: str = "customers",
    encoding: str = "utf-8",
    status: str = "queued",
    attempts: int = 0,
) -> int:
    """A job as `importUpload` leaves it (or as a stopped worker left it)."""
    job_id: int = await db.fetchval(
        "INSERT INTO ops.import_job (kind, source, file_name, format, encoding, byte_count, "
        "status, attempts) VALUES ($1, 'legacy', 'customers.csv', 'csv', $2, $3, $4, $5) "
        "RETURNING id",
        kind,
        encoding,
        len(content),
        status,
        attempts,
    )
    await db.execute(
        "INSERT INTO ops.import_file (job_id, content) VALUES ($1, $2)", job_id, content
    )
    return job_id


async def _state(db: asyncpg.Connection, job_id: int) -> tuple[object, ...]:
    row = await db.fetchrow(
        "SELECT status, attempts, inserted, error, "
        "EXISTS (SELECT 1 FROM ops.import_file WHERE job_id = $1) AS has_file "
        "FROM ops.import_job WHERE id = $1",
        job_id,
    )
    assert row is not None
    return tuple(row)


async def test_a_job_another_worker_is_running_is_left_alone(
    db: asyncpg.Connection, database_url: str
) -> None:
    job_id = await _job(db)
    holder = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # What a run holds while it works: the job's advisory lock.
        await holder.execute("SELECT pg_advisory_lock(7411, $1::int)", job_id)
        assert await jobs.run(database_url, job_id) == "running"
        assert await _state(db, job_id) == ("queued", 0, 0, None, True)
    finally:
        await holder.close()
    assert await jobs.run(database_url, job_id) == "succeeded"
    assert await _state(db, job_id) == ("succeeded", 1, 2, None, False)
    assert await jobs.run(database_url, job_id) == "succeeded"  # finished: never again
    assert await _state(db, job_id) == ("succeeded", 1, 2, None, False)
    assert await db.fetchval("SELECT count(*) FROM crm.customer") == 2


async def test_a_job_whose_worker_stopped_runs_again_a_few_times_at_most(
    db: asyncpg.Connection, database_url: str
) -> None:
    # `running` with nobody holding its lock: its worker died, and wrote nothing.
    cut_off = await _job(db, status="running", attempts=1)
    assert await jobs.run(database_url, cut_off) == "succeeded"
    assert await _state(db, cut_off) == ("succeeded", 2, 2, None, False)

    worn_out = await _job(db, status="running", attempts=jobs.MAX_ATTEMPTS)
    assert await jobs.run(database_url, worn_out) == "failed"
    status, attempts, inserted, error, has_file = await _state(db, worn_out)
    assert (status, attempts, inserted, has_file) == ("failed", jobs.MAX_ATTEMPTS + 1, 0, False)
    assert f"stopped {jobs.MAX_ATTEMPTS} times" in str(error)


async def test_what_stops_a_run_is_told_in_words(db: asyncpg.Connection, database_url: str) -> None:
    unknown_kind = await _job(db, kind="spaceships")
    assert await jobs.run(database_url, unknown_kind) == "failed"
    assert (await _state(db, unknown_kind))[3] == "imports of spaceships are not known here"

    # Checked at upload; a job stored otherwise still fails readably, not with a stack trace.
    bad_encoding = await _job(db, encoding="klingon")
    assert await jobs.run(database_url, bad_encoding) == "failed"
    status, _, _, error, has_file = await _state(db, bad_encoding)
    assert (status, has_file) == ("failed", False)
    assert str(error).startswith("the file cannot be read") and "klingon" in str(error)

    assert await jobs.run(database_url, 987654) is None  # no such job


async def test_progress_is_written_on_the_jobs_own_connection_at_most_once_a_second(
    db: asyncpg.Connection, database_url: str, tmp_path: object
) -> None:
    job_id = await _job(db)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    now = [100.0]
    spool = ProblemSpool(tmp_path / "problems.jsonl")  # type: ignore[operator]
    writer = ProgressWriter(connection, job_id, spool, every_s=1.0, clock=lambda: now[0])
    try:
        read = "SELECT read, problem_count FROM ops.import_job WHERE id = $1"
        writer.report(5_000)
        await writer.close()
        assert tuple(await db.fetchrow(read, job_id)) == (5_000, 0)
        spool.add(Problem(7, "email", "x", "is not a valid email address"))
        writer.report(10_000)  # within the second: not written
        await writer.close()
        assert tuple(await db.fetchrow(read, job_id)) == (5_000, 0)
        now[0] += 1.0
        writer.report(15_000)
        await writer.close()
        assert tuple(await db.fetchrow(read, job_id)) == (15_000, 1)
    finally:
        spool.close()
        await connection.close()


def test_problems_are_stored_as_text_postgresql_can_hold() -> None:
    assert storable("a\x00b", 10) == "a\\x00b"
    assert storable("\udcfc", 10) == "\\udcfc"  # an undecodable byte, kept visible
    assert storable("x" * 20, 10) == "x" * 9 + "…"
    assert storable(None, 10) is None
    assert jobs.file_name_of("C:\\exports\\customers.csv") == "customers.csv"
    assert jobs.file_name_of("../../etc/passwd") == "passwd"
    assert jobs.file_name_of("..") == "upload"
    assert jobs.file_name_of(None) == "upload"
