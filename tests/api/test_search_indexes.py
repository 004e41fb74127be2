"""Every `search` argument matches through trigram indexes, never by reading whole tables."""

import json

import asyncpg
import pytest
from sqlalchemy import Column, select
from sqlalchemy.sql.visitors import iterate

from domain.core.reads import compile_select
from domain.core.sessions import asyncpg_dsn
from schema import filters

SEARCHABLE = sorted(
    (cls for cls in vars(filters).values() if isinstance(cls, type) and "search" in vars(cls)),
    key=lambda cls: cls.__name__,
)


def _scans(plan: dict) -> list[str]:
    found = [f"{plan['Node Type']} {plan.get('Relation Name', '')}".strip()]
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


def test_the_search_filters_are_found() -> None:
    assert len(SEARCHABLE) >= 10


@pytest.mark.parametrize("filter_class", SEARCHABLE, ids=lambda cls: cls.__name__)
async def test_a_search_uses_trigram_indexes(filter_class: type, database_url: str) -> None:
    [condition] = filter_class(search="lesage").conditions()
    [table] = {node.table for node in iterate(condition) if isinstance(node, Column)}
    statement = compile_select(select(table.c.id).where(condition), one_off=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # The tables of a test database are small enough for any plan; forbidding
        # sequential scans shows whether an index can answer the search at all.
        await connection.execute("SET enable_seqscan = off")
        [row] = await connection.fetch(
            f"EXPLAIN (FORMAT JSON) {statement.sql}", *statement.arguments({})
        )
    finally:
        await connection.close()
    scans = _scans(json.loads(row[0])[0]["Plan"])
    assert not [scan for scan in scans if scan.startswith("Seq Scan")], scans
    assert any(scan.startswith("Bitmap Index Scan") for scan in scans), scans
