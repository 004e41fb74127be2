"""Import jobs: a file uploaded through the API, imported in the background.

`create` (the `importUpload` mutation, in its transaction) checks how the file is to be read
and stores it with a queued job; its journal entry becomes an outbox event, which the relay
turns into the worker's job (so a Redis outage delays an import, never loses it). `run` (that
job) imports the file with `domain.exchange.importing.run`, exactly as `bizgraph import`
does, and records the outcome.

arq may start a job more than once (a worker killed mid-run, a re-queue by the relay). A run
holds a PostgreSQL advisory lock on its job, on its own connection, for as long as it works:
a second run finds the lock taken and leaves it be. The lock dies with its connection, so a
job found `running` with nobody holding the lock lost its worker — and the import writes
everything in one transaction, so that worker wrote nothing: it runs again from the start,
`MAX_ATTEMPTS` times at most. A finished job never runs again. (A worker dying after the
import committed but before the job was marked finished leaves a run that imports the same
file once more, which changes nothing: the import upserts by external id.)
"""

import asyncio
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from domain.core.database_errors import is_database_unavailable
from domain.core.errors import DomainError, Problems
from domain.core.journal import Journal
from domain.core.sessions import asyncpg_dsn
from domain.exchange import importing
from domain.exchange.job_records import (
    MESSAGE_CHARS,
    PROGRESS_EVERY_S,
    ProblemSpool,
    ProgressWriter,
    storable,
)
from domain.exchange.kinds import KINDS
from domain.exchange.models import ImportFile, ImportJob
from domain.exchange.reading import format_of

log = logging.getLogger("bizgraph.imports")

ENTITY_TYPE = "import_job"
QUEUED = "import_job.queued"
DEFAULT_ENCODING = "utf-8"
NAME_CHARS = 255
ENCODING_CHARS = 40
MAX_ATTEMPTS = 3

# Two-key advisory locks: this class of lock, and the job (its id folded into an int4).
_LOCK = "SELECT pg_try_advisory_lock(7411, ($1::bigint % 2147483648)::int)"
_CLAIM = """
    UPDATE ops.import_job
    SET status = 'running', attempts = attempts + 1, started_at = now(), read = 0,
        problem_count = 0, error = NULL
    WHERE id = $1 AND status IN ('queued', 'running')
    RETURNING id, kind, source, file_name, format, encoding, dry_run, skip_invalid, attempts
"""
_FINISH = """
    UPDATE ops.import_job
    SET status = $2, read = $3, inserted = $4, updated = $5, unchanged = $6,
        invalid_lines = $7, problem_count = $8, written = $9, error = $10, finished_at = now()
    WHERE id = $1
"""
_FAIL = """
    UPDATE ops.import_job SET status = 'failed', error = $2, finished_at = now() WHERE id = $1
"""
# The file goes when its job is done: it holds personal data; counts and problems stay.
_DROP_FILE = "DELETE FROM ops.import_file WHERE job_id = $1"


async def create(
    *,
    session: AsyncSession,
    journal: Journal,
    kind: str,
    source: str,
    file_name: str | None,
    file_format: str | None,
    encoding: str | None,
    dry_run: bool,
    skip_invalid: bool,
    content: bytes,
    max_bytes: int,
) -> ImportJob:
    """Queue a file for import by a worker; the job reports how it went.

    `content` may be cut off one byte past `max_bytes`: enough to tell it is too large.
    """
    if len(content) > max_bytes:
        raise DomainError(
            "FILE_TOO_LARGE",
            f"the file is larger than {max_bytes:,} bytes, the most imported at once: split it",
            "file",
        )
    problems = Problems()
    if not content:
        problems.add("file", "is empty")
    if kind not in KINDS:
        problems.add("kind", f"is not one of {', '.join(KINDS)}")
    cleaned_source = importing.checked_source(problems, source)
    name = file_name_of(file_name)
    if file_format is None:
        try:
            file_format = format_of(Path(name))
        except ValueError as error:
            problems.add("format", str(error))
    cleaned_encoding = _encoding(problems, encoding)
    problems.raise_if_any()
    job = ImportJob(
        kind=kind,
        source=cleaned_source,
        file_name=name,
        format=file_format,
        encoding=cleaned_encoding,
        dry_run=dry_run,
        skip_invalid=skip_invalid,
        byte_count=len(content),
        created_by_id=journal.actor.employee_id,
    )
    session.add(job)
    await session.flush()
    session.add(ImportFile(job_id=job.id, content=content))
    await session.flush()
    journal.record(
        QUEUED,
        entity_type=ENTITY_TYPE,
        entity_id=job.id,
        changes={
            "kind": kind,
            "source": cleaned_source,
            "file": name,
            "bytes": len(content),
            "dry_run": dry_run,
            "skip_invalid": skip_invalid,
        },
    )
    return job


def file_name_of(given: str | None) -> str:
    """The name a file is shown and audited by: its last path part (browsers and curl send the
    bare name, some clients a whole path), as text PostgreSQL can hold."""
    name = re.split(r"[\\/]", given or "")[-1].strip()
    name = storable(name, NAME_CHARS) or ""
    return name if name not in ("", ".", "..") else "upload"


def _encoding(problems: Problems, given: str | None) -> str:
    name = (given or "").strip() or DEFAULT_ENCODING
    if len(name) > ENCODING_CHARS:
        problems.add("encoding", f"must be at most {ENCODING_CHARS} characters")
        return name
    try:
        # str.encode refuses what is not a text encoding (base64, zlib) as well.
        "".encode(name)
    except LookupError:
        problems.add("encoding", f"{name!r} is not a text encoding (utf-8, cp1252, latin-1…)")
    return name


async def status_of(database_url: str, job_id: int) -> str | None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        status: str | None = await connection.fetchval(
            "SELECT status FROM ops.import_job WHERE id = $1", job_id
        )
        return status
    finally:
        await connection.close()


async def steps_fed(database_url: str, job_id: int) -> tuple[str, ...]:
    """The analytics steps whose figures a finished job's records feed, if it wrote any."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        job = await connection.fetchrow(
            "SELECT kind, written, inserted + updated AS changed FROM ops.import_job "
            "WHERE id = $1 AND status = 'succeeded'",
            job_id,
        )
    finally:
        await connection.close()
    if job is None:
        return ()
    return importing.steps_fed(job["kind"], written=job["written"], changed=job["changed"])


async def run(
    database_url: str, job_id: int, *, progress_every_s: float = PROGRESS_EVERY_S
) -> str | None:
    """Import the file of a queued job (or of one whose worker died); the job's status after
    this call: `running` when another worker is running it now, None when there is no job.

    Raises what means the database is unreachable (the worker tries again later); any other
    failure is recorded as the job's `error`.
    """
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        if not await connection.fetchval(_LOCK, job_id):
            return "running"
        job = await connection.fetchrow(_CLAIM, job_id)
        if job is None:
            status: str | None = await connection.fetchval(
                "SELECT status FROM ops.import_job WHERE id = $1", job_id
            )
            return status
        if job["attempts"] > MAX_ATTEMPTS:
            return await _fail(
                connection,
                job_id,
                f"stopped {MAX_ATTEMPTS} times before it finished (its worker stopped, or it "
                "ran longer than jobs may): split the file",
            )
        return await _import(connection, database_url, job, progress_every_s)
    finally:
        await connection.close()  # which also releases the lock


async def _import(
    connection: asyncpg.Connection, database_url: str, job: Any, progress_every_s: float
) -> str:
    job_id = job["id"]
    kind = KINDS.get(job["kind"])
    if kind is None:
        return await _fail(connection, job_id, f"imports of {job['kind']} are not known here")
    content = await connection.fetchval(
        "SELECT content FROM ops.import_file WHERE job_id = $1", job_id
    )
    if content is None:
        return await _fail(connection, job_id, "the uploaded file is gone")
    with tempfile.TemporaryDirectory(prefix="bizgraph-import-") as directory:
        path = Path(directory) / "file" / _local_name(job["file_name"])
        path.parent.mkdir()
        await asyncio.to_thread(path.write_bytes, content)
        del content
        spool = ProblemSpool(Path(directory) / "problems.jsonl")
        progress = ProgressWriter(connection, job_id, spool, every_s=progress_every_s)
        try:
            summary = await importing.run(
                database_url,
                kind,
                path,
                file_format=job["format"],
                source=job["source"],
                encoding=job["encoding"],
                dry_run=job["dry_run"],
                skip_invalid=job["skip_invalid"],
                write_problem=spool.add,
                on_progress=progress.report,
            )
        except Exception as error:
            await progress.close()
            spool.close()
            if is_database_unavailable(error):
                raise
            log.exception("import job %s failed", job_id)
            return await _fail(connection, job_id, _failure(error))
        await progress.close()
        return await _finish(connection, job_id, summary, spool)


def _local_name(name: str) -> str:
    # The import audits the file by this name; a name too long for the file system keeps its
    # extension, which tells the format.
    return name if len(name.encode()) <= 200 else "upload" + Path(name).suffix[:20]


def _failure(error: Exception) -> str:
    if isinstance(error, LookupError):  # an encoding Python does not know
        return f"the file cannot be read: {error}"
    return f"the import stopped: {error.__class__.__name__}: {error}"


def outcome(summary: importing.Summary) -> tuple[str, str | None]:
    """The status a finished run ends in, and what a person should know about it."""
    if summary.written or not summary.problems:
        return "succeeded", None  # written (bad lines left out, if any), or a clean dry run
    found = f"{summary.problems:,} problems on {summary.invalid_lines:,} lines"
    if summary.dry_run:
        return "rejected", f"{found} (a dry run: nothing was written)"
    return "rejected", f"{found}: nothing was written; fix the file, or import with skipInvalid"


async def _finish(
    connection: asyncpg.Connection, job_id: int, summary: importing.Summary, spool: ProblemSpool
) -> str:
    status, message = outcome(summary)
    async with connection.transaction():
        await connection.execute("DELETE FROM ops.import_problem WHERE job_id = $1", job_id)
        await spool.copy(connection, job_id)
        await connection.execute(
            _FINISH,
            job_id,
            status,
            summary.read,
            summary.inserted,
            summary.updated,
            summary.unchanged,
            summary.invalid_lines,
            summary.problems,
            summary.written,
            message,
        )
        await connection.execute(_DROP_FILE, job_id)
    log.info("import job %s %s: %s records read", job_id, status, summary.read)
    return status


async def _fail(connection: asyncpg.Connection, job_id: int, message: str) -> str:
    async with connection.transaction():
        await connection.execute(_FAIL, job_id, storable(message, MESSAGE_CHARS))
        await connection.execute(_DROP_FILE, job_id)
    return "failed"
