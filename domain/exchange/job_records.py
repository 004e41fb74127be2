"""What a running import job records beside the import itself: its progress and its problems.

The import runs in a transaction of its own (`domain.exchange.importing.run`), so nothing it
does is visible before it commits. Progress goes to the job's row on the job's own
connection instead, at most once every `every_s` seconds: the import reports after each
batch of records, far more often than anyone polls. Its callbacks are plain functions
called from inside the import, so a write is started as a task there and runs while the
import waits on the database; one at a time, since a connection runs one statement at once.

Problems can number a few per line of a file of any size: they are spooled to a file as the
import finds them (memory stays flat) and copied into `ops.import_problem` in batches, in the
transaction that finishes the job.
"""

import asyncio
import json
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import asyncpg

from domain.exchange.reading import Problem

log = logging.getLogger("bizgraph.imports")

PROGRESS_EVERY_S = 1.0
COPY_BATCH = 5_000
# A problem quotes the value it is about: a whole cut-off line at worst. Enough to find it.
VALUE_CHARS = 500
MESSAGE_CHARS = 2_000

PROGRESS = "UPDATE ops.import_job SET read = $2, problem_count = $3 WHERE id = $1"


def storable(text: str | None, limit: int) -> str | None:
    """Text PostgreSQL can hold, at most `limit` characters: a NUL or an undecodable byte of
    the file is shown escaped instead of failing the statement that stores it."""
    if text is None:
        return None
    cleaned = text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class ProblemSpool:
    """The problems of one run, in a file until the run is over."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file: IO[str] = path.open("w", encoding="utf-8")

    def add(self, problem: Problem) -> None:
        row = (
            problem.line,
            storable(problem.column, VALUE_CHARS),
            storable(problem.value, VALUE_CHARS),
            storable(problem.message, MESSAGE_CHARS),
        )
        self._file.write(json.dumps(row) + "\n")
        self.count += 1

    def close(self) -> None:
        self._file.close()

    def batches(self) -> Iterator[list[tuple[Any, ...]]]:
        self.close()
        batch: list[tuple[Any, ...]] = []
        with self.path.open(encoding="utf-8") as spooled:
            for text in spooled:
                batch.append(tuple(json.loads(text)))
                if len(batch) >= COPY_BATCH:
                    yield batch
                    batch = []
        if batch:
            yield batch

    async def copy(self, connection: asyncpg.Connection, job_id: int) -> None:
        """Every spooled problem into `ops.import_problem` (in the caller's transaction)."""
        for batch in self.batches():
            await connection.copy_records_to_table(
                "import_problem",
                schema_name="ops",
                columns=["job_id", "line", "column_name", "value", "message"],
                records=[(job_id, *row) for row in batch],
            )


class ProgressWriter:
    """Records read (and problems found) so far, written to the job's row now and then."""

    def __init__(
        self,
        connection: asyncpg.Connection,
        job_id: int,
        spool: ProblemSpool,
        *,
        every_s: float = PROGRESS_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.connection = connection
        self.job_id = job_id
        self.spool = spool
        self.every_s = every_s
        self.clock = clock
        self._written_at: float | None = None
        self._writing: asyncio.Task[None] | None = None

    def report(self, read: int) -> None:
        """The import's `on_progress`: write now unless a write is under way or was recent."""
        now = self.clock()
        if self._writing is not None and not self._writing.done():
            return
        if self._written_at is not None and now - self._written_at < self.every_s:
            return
        self._written_at = now
        self._writing = asyncio.get_running_loop().create_task(self._write(read))

    async def _write(self, read: int) -> None:
        try:
            await self.connection.execute(PROGRESS, self.job_id, read, self.spool.count)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as error:
            # Progress is for people watching; the run's own outcome is what counts.
            log.warning("progress of import job %s not written: %s", self.job_id, error)

    async def close(self) -> None:
        """Wait for a write under way, so the connection is free for what comes next."""
        if self._writing is not None:
            await self._writing
