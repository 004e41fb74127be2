"""Loading many rows at once the way `pg_restore` does: drop a table's foreign keys and plain
indexes, write the rows, then rebuild them, which checks every row at once.

Building an index over a table is far cheaper than growing it row by row, and one check of a
foreign key over a whole table is far cheaper than a trigger per row. Unique and primary keys
(and the indexes behind them) stay throughout: writes still find their conflicts. Everything
happens in the caller's transaction, which holds the tables exclusively until it commits.
"""

from collections.abc import Sequence

import asyncpg

from domain.core.model_base import SCHEMAS

# Index builds are the bulk of the work: give them memory (for this transaction only).
MAINTENANCE_MEMORY = "512MB"


async def drop_foreign_keys_and_indexes(
    connection: asyncpg.Connection, tables: Sequence[str] | None = None
) -> list[str]:
    """Drop the foreign keys and plain (non-constraint) indexes of `tables` (schema-qualified;
    None: every table of the data model); return the statements that restore them."""
    await connection.execute(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_MEMORY}'")
    arguments = (list(SCHEMAS), None if tables is None else list(tables))
    foreign_keys = await connection.fetch(
        """
        SELECT format('%I.%I', n.nspname, t.relname) AS table_name, c.conname,
               pg_get_constraintdef(c.oid) AS definition
        FROM pg_constraint c
        JOIN pg_class t ON t.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE c.contype = 'f' AND n.nspname = ANY($1::text[])
          AND ($2::text[] IS NULL OR format('%s.%s', n.nspname, t.relname) = ANY($2::text[]))
        """,
        *arguments,
    )
    indexes = await connection.fetch(
        """
        SELECT format('%I.%I', n.nspname, i.relname) AS index_name,
               pg_get_indexdef(i.oid) AS definition
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE n.nspname = ANY($1::text[])
          AND ($2::text[] IS NULL OR format('%s.%s', n.nspname, t.relname) = ANY($2::text[]))
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        """,
        *arguments,
    )
    for row in foreign_keys:
        await connection.execute(
            f'ALTER TABLE {row["table_name"]} DROP CONSTRAINT "{row["conname"]}"'
        )
    for row in indexes:
        await connection.execute(f"DROP INDEX {row['index_name']}")
    return [row["definition"] for row in indexes] + [
        f'ALTER TABLE {row["table_name"]} ADD CONSTRAINT "{row["conname"]}" {row["definition"]}'
        for row in foreign_keys
    ]


async def restore(connection: asyncpg.Connection, statements: Sequence[str]) -> None:
    for statement in statements:
        await connection.execute(statement)
