"""What the BI role can and cannot do once connected, checked against the real server.

Its session defaults (read-only, timeouts) are only defaults — the tests show the role can
change them — so what must hold is checked with those defaults switched off.
"""

import secrets
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from api.bi_role import BiRoleError, default_name, ensure_bi_role
from domain.core.sessions import asyncpg_dsn
from tests.bi.conftest import BiRole, drop_role

pytestmark = pytest.mark.usefixtures("company")


async def test_sessions_start_read_only_with_timeouts(bi_role: BiRole) -> None:
    connection = await bi_role.connect()
    try:
        assert await connection.fetchval("SHOW default_transaction_read_only") == "on"
        assert await connection.fetchval("SHOW statement_timeout") == "2min"
        assert await connection.fetchval("SHOW idle_in_transaction_session_timeout") == "1min"
    finally:
        await connection.close()


async def test_with_its_defaults_off_the_role_still_writes_nothing(bi_role: BiRole) -> None:
    connection = await bi_role.connect()
    try:
        # A session may change user-settable parameters: these are not what protects us.
        await connection.execute("SET default_transaction_read_only = off")
        await connection.execute("SET statement_timeout = 0")
        for statement in (
            "CREATE TEMP TABLE scratch (id int)",
            "CREATE TABLE bi.scratch (id int)",
            "SELECT lo_create(0)",
            "SELECT lo_from_bytea(0, 'x')",
        ):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(statement)
        # Superuser-only parameters set on the role cannot be changed by it.
        assert await connection.fetchval("SHOW temp_file_limit") == "5GB"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("SET temp_file_limit = -1")
    finally:
        await connection.close()


async def test_the_role_holds_a_few_connections_at_most(bi_role: BiRole, database_url: str) -> None:
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        limit = await admin.fetchval(
            "SELECT rolconnlimit FROM pg_roles WHERE rolname = $1", bi_role.name
        )
    finally:
        await admin.close()
    assert limit == 5
    connections = [await bi_role.connect() for _ in range(limit)]
    try:
        with pytest.raises(asyncpg.TooManyConnectionsError):
            await bi_role.connect()
    finally:
        for connection in connections:
            await connection.close()


def test_each_database_gets_its_own_role_name() -> None:
    assert default_name("bizgraph") == "bizgraph_bi_bizgraph"
    assert default_name("Shop-EU") == "bizgraph_bi_shop_eu"
    assert len(default_name("x" * 100).encode()) == 63


async def test_by_default_the_role_is_named_after_the_database(database_url: str) -> None:
    report = await ensure_bi_role(database_url, password=secrets.token_urlsafe(24))
    try:
        database = make_url(database_url).database
        assert database is not None
        assert report.name == default_name(database)
        assert report.warnings == []  # the tests run as a superuser who owns the database
    finally:
        await drop_role(database_url, report.name)


async def test_a_role_made_for_another_database_is_refused(database_url: str) -> None:
    name = f"bizgraph_bi_test_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(asyncpg_dsn(database_url))
    other = f"bizgraph_other_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{other}"')
    try:
        other_url = make_url(database_url).set(database=other).render_as_string(False)
        other_admin = await asyncpg.connect(asyncpg_dsn(other_url))
        try:
            await other_admin.execute("CREATE SCHEMA bi")
        finally:
            await other_admin.close()
        await ensure_bi_role(other_url, name=name, password=secrets.token_urlsafe(24))
        with pytest.raises(BiRoleError, match="another database"):
            await ensure_bi_role(database_url, name=name, password=secrets.token_urlsafe(24))
    finally:
        other_admin = await asyncpg.connect(
            asyncpg_dsn(make_url(database_url).set(database=other).render_as_string(False))
        )
        try:
            if await other_admin.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name):
                await other_admin.execute(f'DROP OWNED BY "{name}"')
        finally:
            await other_admin.close()
        await drop_role(database_url, name)
        await admin.execute(f'DROP DATABASE "{other}" WITH (FORCE)')
        await admin.close()
