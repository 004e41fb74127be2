"""Exporting records in the form `bizgraph import` reads: the inverse of an import.

Each kind's records are written with the import's columns, in order of their external id, as
CSV (a header line) or JSON Lines, streamed from a cursor so memory stays flat. A record
imported from the source asked for keeps its external id there; a record made in bizgraph
is known by its own key (a customer by its number). Archived records are left out, as lists
leave them out. Exporting one source's records and importing the file into an empty
database under that source gives back the same file on the next export.
"""

import csv
import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import IO, Any

import asyncpg

from domain.core.sessions import asyncpg_dsn
from domain.exchange.kinds import Kind

FETCH = 2_000


async def rows(database_url: str, kind: Kind, source: str | None) -> AsyncIterator[list[Any]]:
    """The kind's records as lists of values in its columns' order."""
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with connection.transaction(readonly=True, isolation="repeatable_read"):
            ordered = f"{kind.export}\nORDER BY 1"
            async for record in connection.cursor(ordered, source, prefetch=FETCH):
                yield list(record.values())
    finally:
        await connection.close()


async def export(
    database_url: str, kind: Kind, out: IO[str], *, file_format: str, source: str | None
) -> int:
    """Write the kind's records to `out`; the number written."""
    count = 0
    writer = csv.writer(out, lineterminator="\n") if file_format == "csv" else None
    if writer is not None:
        writer.writerow(kind.columns)
    async for values in rows(database_url, kind, source):
        if writer is not None:
            writer.writerow(["" if v is None else _text(v) for v in values])
        else:
            record = {
                name: _text(value)
                for name, value in zip(kind.columns, values, strict=True)
                if value is not None
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        # Money and percentages in cents; a finer fraction (a tax rate of 0.0725) in full.
        return f"{value:.2f}" if value == round(value, 2) else f"{value.normalize():f}"
    return str(value)
