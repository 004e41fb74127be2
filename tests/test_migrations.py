"""Migrations build the schema the models describe, and undo it completely."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from api import migrate
from domain.core.model_base import SCHEMAS
from domain.core.sessions import asyncpg_dsn
from domain.models import metadata
from migrations.filters import include_name


@pytest.fixture
async def scratch_database(database_url: str) -> AsyncIterator[str]:
    name = f"bizgraph_migrations_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(database_url).set(database=name).render_as_string(False)
    finally:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        await admin.close()


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT schemaname || '.' || tablename AS name FROM pg_tables "
            "WHERE schemaname = ANY($1::text[])",
            list(SCHEMAS),
        )
        return {row["name"] for row in rows}
    finally:
        await connection.close()


async def test_upgrade_downgrade_upgrade_round_trip(scratch_database: str) -> None:
    expected = {f"{table.schema}.{table.name}" for table in metadata.sorted_tables}
    await asyncio.to_thread(migrate.upgrade, scratch_database)
    assert await _tables(scratch_database) == expected
    await asyncio.to_thread(migrate.downgrade, scratch_database, "base")
    assert await _tables(scratch_database) == set()
    await asyncio.to_thread(migrate.upgrade, scratch_database)
    assert await _tables(scratch_database) == expected


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_schemas": True,
                "include_name": include_name,
                "compare_type": True,
                "version_table_schema": "public",
            },
        )
        return compare_metadata(context, metadata)

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def test_every_foreign_key_is_indexed(engine: AsyncEngine) -> None:
    def unindexed(connection: Connection) -> list[str]:
        inspector = inspect(connection)
        missing = []
        for schema in SCHEMAS:
            for table in inspector.get_table_names(schema=schema):
                leading = {
                    tuple(index["column_names"][: len(fk["constrained_columns"])])
                    for index in inspector.get_indexes(table, schema=schema)
                    for fk in inspector.get_foreign_keys(table, schema=schema)
                }
                primary = tuple(
                    inspector.get_pk_constraint(table, schema=schema)["constrained_columns"]
                )
                uniques = {
                    tuple(u["column_names"])
                    for u in inspector.get_unique_constraints(table, schema=schema)
                }
                for fk in inspector.get_foreign_keys(table, schema=schema):
                    columns = tuple(fk["constrained_columns"])
                    covered = (
                        columns in leading
                        or primary[: len(columns)] == columns
                        or any(u[: len(columns)] == columns for u in uniques)
                    )
                    if not covered:
                        missing.append(f"{schema}.{table}{columns}")
        return missing

    async with engine.connect() as connection:
        assert await connection.run_sync(unindexed) == []


async def _bi_views(url: str) -> set[str] | None:
    """The views in schema `bi`, or None when there is no such schema."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        if await connection.fetchval("SELECT to_regnamespace('bi')") is None:
            return None
        rows = await connection.fetch("SELECT viewname FROM pg_views WHERE schemaname = 'bi'")
        return {row["viewname"] for row in rows}
    finally:
        await connection.close()


async def test_bi_views_come_and_go_with_their_revision(scratch_database: str) -> None:
    from api.bi_role import BiRoleError, ensure_bi_role

    await asyncio.to_thread(migrate.upgrade, scratch_database)
    assert len(await _bi_views(scratch_database) or ()) == 13
    await asyncio.to_thread(migrate.downgrade, scratch_database, "0001")
    assert await _bi_views(scratch_database) is None
    assert await _tables(scratch_database), "the data model stays"
    with pytest.raises(BiRoleError, match="run `bizgraph migrate` first"):
        await ensure_bi_role(scratch_database, name="bizgraph_bi_never", password="never-made")
    await asyncio.to_thread(migrate.upgrade, scratch_database)
    assert len(await _bi_views(scratch_database) or ()) == 13


async def test_existing_idempotency_keys_keep_their_principal(scratch_database: str) -> None:
    """0005 scopes keys per principal: a key made before it belongs to whoever made its change
    (from the audit log); going back to global keys keeps the older of two that now clash."""
    await asyncio.to_thread(migrate.upgrade, scratch_database, "0003_forecast_details")
    connection = await asyncpg.connect(asyncpg_dsn(scratch_database))
    try:
        await connection.execute(
            "INSERT INTO ops.audit_log (actor_employee_id, actor, action, entity_type, entity_id) "
            "VALUES (7, 'sam@example.com', 'sales_order.placed', 'sales_order', 41), "
            "(NULL, 'System', 'payment.recorded', 'payment', 41)"
        )
        await connection.execute(
            "INSERT INTO ops.idempotency_key (operation, key, request_hash, response) VALUES "
            "('salesOrderPlace', 'k1', 'h', '{\"id\": 41}'), "
            "('paymentRecord', 'k1', 'h', '{\"id\": 41}'), "
            "('invoiceIssue', 'k1', 'h', '{\"id\": 99}')"
        )
        await asyncio.to_thread(migrate.upgrade, scratch_database)
        rows = await connection.fetch(
            "SELECT operation, principal FROM ops.idempotency_key ORDER BY operation"
        )
        assert [tuple(row) for row in rows] == [
            ("invoiceIssue", "unknown"),  # no change found: replays for no one
            ("paymentRecord", "email:system"),
            ("salesOrderPlace", "employee:7"),
        ]
        await connection.execute(
            "INSERT INTO ops.idempotency_key (principal, operation, key, request_hash, response) "
            "VALUES ('employee:8', 'salesOrderPlace', 'k1', 'other', '{\"id\": 42}')"
        )
        await asyncio.to_thread(migrate.downgrade, scratch_database, "0003_forecast_details")
        kept = await connection.fetch(
            "SELECT operation, response ->> 'id' AS id FROM ops.idempotency_key ORDER BY operation"
        )
        assert [tuple(row) for row in kept] == [
            ("invoiceIssue", "99"),
            ("paymentRecord", "41"),
            ("salesOrderPlace", "41"),
        ]
    finally:
        await connection.close()
