"""Running an import: every record checked, the whole file reported, then written at once.

The file is read record by record (`domain.exchange.reading`); each record is checked with the
rules of its kind (`domain.exchange.kinds`) and, if sound, copied into a temporary staging
table in batches, so memory stays flat whatever the file's size. Then, in SQL over the whole
staging table: external ids given twice in the file, and references that match nothing.
Every problem goes to the report (line, column, value, message) as it is found.

One transaction does the rest: a file with problems writes nothing, unless `skip_invalid`
leaves its bad lines out (they are in the report: fix them and import the file again); a dry
run writes nothing either way. Otherwise one statement upserts every record by its external
id in the source system: new ones are inserted, changed ones updated (their version moves),
equal ones left alone — importing the same file again changes nothing. What follows from the
written records (the kind's `after`: an order's totals from its lines, say) is derived in the
same transaction, from the table `written` that the upsert leaves behind. A `bulk` run drops
the written tables' plain indexes and foreign keys before writing and rebuilds them after
(`domain.core.bulk_load`): much faster for a large first load, but it holds those tables
exclusively until it commits and rebuilds their indexes whole. The run is audited as
one entry (`import.<kind>`, with its counts); imports send no events, so nothing of today's
business rules re-runs for history: run `bizgraph recompute` after importing.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from domain.core import bulk_load, validation
from domain.core.errors import Problems
from domain.core.sessions import asyncpg_dsn
from domain.exchange.kinds import EXTERNAL_ID_CHARS, KINDS, Kind
from domain.exchange.reading import Problem, Record, records

BATCH = 5_000
SOURCE_CHARS = 40  # what records' `external_source` holds
SHOWN_PROBLEMS = 20


def checked_source(problems: Problems, source: str | None) -> str | None:
    """The name of the system records come from, as every import stores it."""
    return validation.text(problems, "source", source, max_length=SOURCE_CHARS)


def steps_fed(kind: str, *, written: bool, changed: int) -> tuple[str, ...]:
    """The analytics steps to recompute after an import of `kind`: those its records feed,
    if it wrote anything."""
    return KINDS[kind].feeds if written and changed else ()


@dataclass
class Summary:
    kind: str
    source: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid_lines: int = 0
    problems: int = 0
    first_problems: list[Problem] = field(default_factory=list)
    written: bool = False
    dry_run: bool = False


class Report:
    """Where problems go: counted, the first few kept for the summary, all of them passed
    to `write` (a report file) as they are found."""

    def __init__(self, summary: Summary, write: Callable[[Problem], None] | None) -> None:
        self.summary = summary
        self.write = write
        self.lines: set[int] = set()

    def add(self, problem: Problem) -> None:
        self.summary.problems += 1
        self.lines.add(problem.line)
        if len(self.summary.first_problems) < SHOWN_PROBLEMS:
            self.summary.first_problems.append(problem)
        if self.write is not None:
            self.write(problem)


async def run(
    database_url: str,
    kind: Kind,
    path: Path,
    *,
    file_format: str,
    source: str,
    encoding: str = "utf-8",
    dry_run: bool = False,
    skip_invalid: bool = False,
    bulk: bool = False,
    write_problem: Callable[[Problem], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Summary:
    summary = Summary(kind.name, source, dry_run=dry_run)
    report = Report(summary, write_problem)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with connection.transaction():
            await _stage(connection, kind)
            batch: list[tuple[Any, ...]] = []
            for item in _checked(kind, records(path, file_format, encoding), report, summary):
                batch.append(item)
                if len(batch) >= BATCH:
                    await _copy(connection, kind, batch)
                    if on_progress is not None:
                        on_progress(summary.read)
                    batch = []
            if batch:
                await _copy(connection, kind, batch)
            if on_progress is not None:
                on_progress(summary.read)
            # Temporary tables are never analysed on their own: without figures the planner
            # would join a million staged rows as if they were a handful.
            await connection.execute("ANALYZE staging")
            await _check_staged(connection, kind, source, report)
            summary.invalid_lines = len(report.lines)
            if dry_run or (summary.problems and not skip_invalid):
                return summary
            if report.lines:
                await connection.execute(
                    "DELETE FROM staging WHERE line = ANY($1::int[])", sorted(report.lines)
                )
            # A bulk load (the first of a large history, say) rebuilds the tables' indexes
            # and foreign keys once, after writing, instead of growing them row by row.
            restore = (
                await bulk_load.drop_foreign_keys_and_indexes(connection, kind.writes)
                if bulk
                else []
            )
            await connection.execute(
                "CREATE TEMPORARY TABLE written (id bigint, inserted boolean) ON COMMIT DROP"
            )
            await connection.execute(
                f"WITH w AS ({kind.upsert}) INSERT INTO written SELECT * FROM w", source
            )
            if kind.after is not None:
                await kind.after(connection, source)
            await bulk_load.restore(connection, restore)
            counts = await connection.fetchrow(
                "SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) AS written "
                "FROM written"
            )
            assert counts is not None
            summary.inserted = counts["inserted"]
            summary.updated = counts["written"] - summary.inserted
            summary.unchanged = summary.read - summary.invalid_lines - counts["written"]
            await _audit(connection, summary, path)
            summary.written = True
            return summary
    finally:
        await connection.close()


def _checked(
    kind: Kind, items: Iterator[Record | Problem], report: Report, summary: Summary
) -> Iterator[tuple[Any, ...]]:
    """The staging rows of the sound records; a problem in the report for every other."""
    staged = [name for name, _ in kind.staged]
    for item in items:
        if isinstance(item, Problem):
            summary.read += 1
            report.add(item)
            continue
        summary.read += 1
        problems = Problems()
        external_id = item.values.get("external_id")
        external_id = str(external_id).strip() if external_id is not None else ""
        if not external_id:
            problems.add("externalId", "must not be empty")
        elif len(external_id) > EXTERNAL_ID_CHARS:
            problems.add("externalId", f"at most {EXTERNAL_ID_CHARS} characters")
        values = kind.check(problems, item.values)
        if problems.errors:
            for error in problems.errors:
                column = _column(error.field)
                value = item.values.get(column) if column is not None else None
                report.add(
                    Problem(item.line, column, None if value is None else str(value), error.message)
                )
            continue
        yield (item.line, external_id, *map(values.get, staged))


def _column(field_name: str | None) -> str | None:
    """The file's column of a domain field name (`creditLimit` → `credit_limit`)."""
    if field_name is None:
        return None
    return re.sub(r"(?<!^)(?=[A-Z])", "_", field_name.split(".")[0]).lower()


async def _stage(connection: asyncpg.Connection, kind: Kind) -> None:
    columns = ", ".join(f"{name} {sql_type}" for name, sql_type in kind.staged)
    await connection.execute(
        f"CREATE TEMPORARY TABLE staging (line int NOT NULL, external_id text NOT NULL, "
        f"{columns}) ON COMMIT DROP"
    )


async def _copy(connection: asyncpg.Connection, kind: Kind, rows: list[tuple[Any, ...]]) -> None:
    await connection.copy_records_to_table(
        "staging", records=rows, columns=["line", "external_id", *(n for n, _ in kind.staged)]
    )


async def _check_staged(
    connection: asyncpg.Connection, kind: Kind, source: str, report: Report
) -> None:
    """What only the whole file shows: an external id given twice, a reference to nothing
    (looked up for the records that differ from what is stored)."""
    duplicates = await connection.fetch(
        "SELECT external_id, array_agg(line ORDER BY line) AS lines FROM staging "
        "GROUP BY external_id HAVING count(*) > 1 ORDER BY min(line)"
    )
    for row in duplicates:
        first, *later = row["lines"]
        for line in later:
            report.add(
                Problem(
                    line,
                    "external_id",
                    row["external_id"],
                    f"given before, on line {first}: each record once per file",
                )
            )
    await _drop_unchanged(connection, kind, source)
    for reference in kind.references:
        arguments = [source] if "$1" in reference.missing else []
        for row in await connection.fetch(reference.missing + " ORDER BY 1", *arguments):
            report.add(Problem(row[0], reference.column, str(row[1]), reference.message))


async def _drop_unchanged(connection: asyncpg.Connection, kind: Kind, source: str) -> None:
    """A record equal to what is stored (read back in the file's columns, as an export
    writes them) would change nothing: it leaves the staging table before anything else is
    looked up, so importing the same file again checks and writes only what differs."""
    compared = [column for column in kind.columns if column != "external_id"]
    stored = ", ".join(f"e.{column}" for column in compared)
    staged = ", ".join(
        f"coalesce(s.{column}, e.{column})" if column in kind.kept_if_empty else f"s.{column}"
        for column in compared
    )
    await connection.execute(
        f"DELETE FROM staging s USING ({kind.export}) e WHERE e.external_id = s.external_id "
        f"AND ({stored}) IS NOT DISTINCT FROM ({staged})",
        source,
    )


async def _audit(connection: asyncpg.Connection, summary: Summary, path: Path) -> None:
    changes = {
        "source": summary.source,
        "file": path.name,
        "inserted": summary.inserted,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "skipped_lines": summary.invalid_lines,
    }
    await connection.execute(
        "INSERT INTO ops.audit_log (actor, action, entity_type, entity_id, changes, source) "
        "VALUES ('import', $1, $2, 0, $3::jsonb, 'import')",
        f"import.{summary.kind}",
        summary.kind,
        json.dumps(changes),
    )
