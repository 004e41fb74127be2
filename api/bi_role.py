"""The BI login role: it may read the views in schema `bi` and nothing else.

The views run with their owner's rights, so the role needs no grant on any table. The
command converges: whatever the role was granted before, afterwards it holds exactly
USAGE on `bi`, SELECT on its views and CONNECT on the database. Default privileges grant
views that later migrations add (when the same user runs them); rerunning the command
after an upgrade re-grants everything regardless.

Roles are cluster-wide, so each database gets its own by default (`bizgraph_bi_<database>`),
and a role made for one database is refused for another. Its session defaults (read-only,
statement and idle timeouts) are only defaults: a PostgreSQL session may SET user-settable
parameters. What holds regardless is privileges (nothing writable: no tables, no temporary
tables, no large objects when run by a superuser), the connection limit and, set by a
superuser, `temp_file_limit`; docs/BI.md lists what a DBA adds (pg_hba.conf, other
databases' CONNECT).

The password never reaches the server in clear: the SCRAM-SHA-256 verifier is computed
here (as psql's \\password does), so neither the server's logs nor its catalog see it.
"""

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import asyncpg

from domain.core.model_base import SCHEMAS
from domain.core.sessions import asyncpg_dsn

SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)
# Session defaults for BI tools left running: reads only, no query runs for ever, no idle
# transaction holds back vacuum. The role may SET these itself (they are user-settable);
# what holds regardless is listed in docs/BI.md.
ROLE_SETTINGS = {
    "default_transaction_read_only": "on",
    "statement_timeout": "120s",
    "idle_in_transaction_session_timeout": "60s",
}
# Superuser-only parameters: set on the role by a superuser, the role cannot change them.
PINNED_SETTINGS = {"temp_file_limit": "5GB"}
DEFAULT_CONNECTION_LIMIT = 5
# Large objects are the one thing any role may write in any database; bizgraph uses none.
LARGE_OBJECT_WRITERS = (
    "lo_create(oid)",
    "lo_creat(integer)",
    "lo_from_bytea(oid, bytea)",
    "lo_import(text)",
    "lo_import(text, oid)",
)
NAME_PREFIX = "bizgraph_bi_"
MAX_NAME_BYTES = 63  # NAMEDATALEN - 1


class BiRoleError(Exception):
    """A reason the role cannot be created or updated, for the user to act on."""


def scram_verifier(
    password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS
) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802, RFC 7677)."""
    if not (password.isascii() and password.isprintable()):
        # SASLprep maps non-ASCII passwords; keeping to printable ASCII makes ours exact.
        raise BiRoleError("use printable ASCII characters for the password")
    salt = secrets.token_bytes(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


@dataclass(frozen=True)
class BiRoleReport:
    """The role made, and what the command could not take away (for the user to act on)."""

    name: str
    database: str
    warnings: list[str]


def default_name(database: str) -> str:
    """`bizgraph_bi_<database>`: roles are cluster-wide, so each database gets its own."""
    plain = re.sub(r"[^a-z0-9_]", "_", database.lower())
    return (NAME_PREFIX + plain).encode()[:MAX_NAME_BYTES].decode(errors="ignore")


async def ensure_bi_role(
    database_url: str,
    *,
    name: str | None = None,
    password: str,
    connection_limit: int = DEFAULT_CONNECTION_LIMIT,
) -> BiRoleReport:
    """Create or update login role `name` (default per database) to read the `bi` views only."""
    verifier = scram_verifier(password)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        database = str(await connection.fetchval("SELECT current_database()"))
        name = name or default_name(database)
        superuser = bool(
            await connection.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        )
        async with connection.transaction():
            await _check(connection, name, database)
            for statement in await _statements(connection, name, verifier, connection_limit):
                await connection.execute(statement)
            if superuser:
                for statement in await _superuser_statements(connection, name):
                    await connection.execute(statement)
        return BiRoleReport(name, database, await _leftovers(connection, name, superuser))
    finally:
        await connection.close()


async def _leftovers(connection: asyncpg.Connection, name: str, superuser: bool) -> list[str]:
    warnings = []
    if await connection.fetchval(
        "SELECT has_database_privilege($1, current_database(), 'TEMPORARY')", name
    ):
        warnings.append(
            "the role may still create temporary tables: run bi-role as the database owner "
            "(REVOKE TEMPORARY ON DATABASE … FROM PUBLIC needs the owner)"
        )
    if not superuser:
        warnings.append(
            "not a superuser: temp_file_limit is not pinned and large objects stay writable "
            "(see docs/BI.md, 'What holds')"
        )
    return warnings


async def _check(connection: asyncpg.Connection, name: str, database: str) -> None:
    if name.startswith("pg_"):
        raise BiRoleError(f"{name} is a reserved role name; choose another --name")
    if await connection.fetchval("SELECT to_regnamespace('bi')") is None:
        raise BiRoleError("the database has no `bi` schema: run `bizgraph migrate` first")
    existing = await connection.fetchrow(
        "SELECT r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication "
        "OR r.rolbypassrls AS powerful, r.rolname = current_user AS is_me, "
        "EXISTS (SELECT 1 FROM pg_shdepend d WHERE d.refobjid = r.oid AND d.deptype = 'o') "
        "AS owns FROM pg_roles r WHERE r.rolname = $1",
        name,
    )
    if existing is not None and (existing["powerful"] or existing["is_me"] or existing["owns"]):
        raise BiRoleError(
            f"role {name} exists and is not a plain login role (it is privileged or owns "
            "objects); choose another --name"
        )
    # A role is cluster-wide: one that another bizgraph database has granted its views to
    # would read both. Its comment (set below) says which database it was made for.
    made_for = await connection.fetchval(
        "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", name
    )
    if made_for and made_for.startswith(COMMENT_PREFIX) and made_for != _comment(database):
        raise BiRoleError(
            f"role {name} is the BI role of another database ({made_for}); choose another --name"
        )


COMMENT_PREFIX = "bizgraph BI: reads schema bi of database "


def _comment(database: str) -> str:
    return f"{COMMENT_PREFIX}{database} only (bizgraph bi-role)"


async def _sql(connection: asyncpg.Connection, template: str, *values: str) -> str:
    # format() quotes identifiers (%I) and literals (%L) the way the server parses them.
    parameters = ", ".join(f"${i}::text" for i in range(1, len(values) + 1))
    return str(await connection.fetchval(f"SELECT format('{template}', {parameters})", *values))


async def _statements(
    connection: asyncpg.Connection, name: str, verifier: str, connection_limit: int
) -> list[str]:
    async def sql(template: str, *values: str) -> str:
        return await _sql(connection, template, *values)

    exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
    database = str(await connection.fetchval("SELECT current_database()"))
    attributes = (
        "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT "
        f"CONNECTION LIMIT {int(connection_limit)}"
    )
    statements = [
        await sql(
            f"{'ALTER' if exists else 'CREATE'} ROLE %I WITH {attributes} PASSWORD %L",
            name,
            verifier,
        ),
        await sql("COMMENT ON ROLE %I IS %L", name, _comment(database)),
    ]
    for setting, value in ROLE_SETTINGS.items():
        statements.append(await sql(f"ALTER ROLE %I SET {setting} = %L", name, value))
    memberships = await connection.fetch(
        "SELECT g.rolname FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid "
        "JOIN pg_roles r ON r.oid = m.member WHERE r.rolname = $1",
        name,
    )
    statements += [await sql("REVOKE %I FROM %I", row["rolname"], name) for row in memberships]
    schemas = await connection.fetch(
        "SELECT nspname FROM pg_namespace WHERE nspname = ANY($1::text[])",
        [*SCHEMAS, "public", "bi"],
    )
    statements.append(await sql("REVOKE ALL ON DATABASE %I FROM %I", database, name))
    for row in schemas:
        schema = row["nspname"]
        for kind in ("TABLES", "SEQUENCES", "FUNCTIONS"):
            statements.append(
                await sql(f"REVOKE ALL ON ALL {kind} IN SCHEMA %I FROM %I", schema, name)
            )
        statements.append(await sql("REVOKE ALL ON SCHEMA %I FROM %I", schema, name))
    statements += [
        # PostgreSQL < 15 lets every role create objects in `public`; a read-only role must not.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
        # Every role may create temporary tables through PUBLIC, read-only default or not
        # (a session can turn that off); bizgraph uses none. The owner keeps the right.
        await sql("REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC", database),
        await sql("GRANT CONNECT ON DATABASE %I TO %I", database, name),
        await sql("GRANT USAGE ON SCHEMA bi TO %I", name),
        await sql("GRANT SELECT ON ALL TABLES IN SCHEMA bi TO %I", name),
        await sql("ALTER DEFAULT PRIVILEGES IN SCHEMA bi GRANT SELECT ON TABLES TO %I", name),
    ]
    return statements


async def _superuser_statements(connection: asyncpg.Connection, name: str) -> list[str]:
    """What only a superuser can do, and the role then cannot undo."""
    statements = [
        await _sql(connection, f"ALTER ROLE %I SET {setting} = %L", name, value)
        for setting, value in PINNED_SETTINGS.items()
    ]
    statements += [
        f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM PUBLIC"
        for function in LARGE_OBJECT_WRITERS
    ]
    return statements
