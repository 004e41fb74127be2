"""Every `search` argument matches through trigram indexes, never by reading whole tables."""

import json

import asyncpg
import pytest
from graphql import get_named_type
from sqlalchemy import Column, and_, select
from sqlalchemy.sql.visitors import iterate

from domain.core.reads import compile_select
from domain.core.sessions import asyncpg_dsn
from schema.build import build_schema
from schema.core import filters, sql
from schema.core.relations import DEFINITION


def _filtered_lists() -> list[tuple[type, type]]:
    """(filter input, node type) of every root list with a `filter` argument."""
    query = build_schema()._schema.query_type
    assert query is not None
    found = []
    for field in query.fields.values():
        if "filter" not in field.args:
            continue
        filter_type = get_named_type(field.args["filter"].type)
        edge = get_named_type(get_named_type(field.type).fields["edges"].type)  # type: ignore[attr-defined]
        node = get_named_type(edge.fields["node"].type)
        found.append(
            (filter_type.extensions[DEFINITION].origin, node.extensions[DEFINITION].origin)
        )
    return found


SEARCHABLE = sorted(
    (
        (filter_type, node)
        for filter_type, node in _filtered_lists()
        if any(isinstance(spec, filters.Search) for spec in filters.specs(filter_type).values())
    ),
    key=lambda pair: pair[0].__name__,
)


def _scans(plan: dict) -> list[str]:
    found = [f"{plan['Node Type']} {plan.get('Relation Name', '')}".strip()]
    for child in plan.get("Plans", []):
        found += _scans(child)
    return found


def test_the_search_filters_are_found() -> None:
    assert len(SEARCHABLE) >= 10


@pytest.mark.parametrize(
    ("filter_class", "node"), SEARCHABLE, ids=[pair[0].__name__ for pair in SEARCHABLE]
)
async def test_a_search_uses_trigram_indexes(
    filter_class: type, node: type, database_url: str
) -> None:
    # The list's whole condition: the search, and archived rows left out where there are any.
    condition = and_(
        *sql.conditions(filter_class(search="lesage"), sql.table_of(node.MODEL), "filter")
    )
    [table] = {node.table for node in iterate(condition) if isinstance(node, Column)}
    statement = compile_select(select(table.c.id).where(condition), one_off=True)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # The tables of a test database are small enough for any plan; forbidding
        # sequential scans (and a whole primary-key index read with the search as a mere
        # filter) shows whether an index can answer the search at all.
        await connection.execute("SET enable_seqscan = off")
        await connection.execute("SET enable_indexscan = off")
        [row] = await connection.fetch(
            f"EXPLAIN (FORMAT JSON) {statement.sql}", *statement.arguments({})
        )
    finally:
        await connection.close()
    scans = _scans(json.loads(row[0])[0]["Plan"])
    assert not [scan for scan in scans if scan.startswith("Seq Scan")], scans
    assert any(scan.startswith("Bitmap Index Scan") for scan in scans), scans
