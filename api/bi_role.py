"""The BI login role: it may read the views in schema `bi` and nothing else.

The views run with their owner's rights, so the role needs no grant on any table. The
command converges: whatever the role was granted before, afterwards it holds exactly
USAGE on `bi`, SELECT on its views and CONNECT on the database. Default privileges grant
views that later migrations add (when the same user runs them); rerunning the command
after an upgrade re-grants everything regardless.

The password never reaches the server in clear: the SCRAM-SHA-256 verifier is computed
here (as psql's \\password does), so neither the server's logs nor its catalog see it.
"""

import base64
import hashlib
import hmac
import secrets

import asyncpg

from domain.core.database import asyncpg_dsn
from domain.core.db import SCHEMAS

SCRAM_ITERATIONS = 4096  # PostgreSQL's default (scram_iterations)
# A safety net for BI tools left running: reads only, and no query runs for ever.
ROLE_SETTINGS = {"default_transaction_read_only": "on", "statement_timeout": "120s"}


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


async def ensure_bi_role(database_url: str, *, name: str, password: str) -> None:
    """Create or update login role `name` so that it may read the `bi` views only."""
    verifier = scram_verifier(password)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        async with connection.transaction():
            await _check(connection, name)
            for statement in await _statements(connection, name, verifier):
                await connection.execute(statement)
    finally:
        await connection.close()


async def _check(connection: asyncpg.Connection, name: str) -> None:
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


async def _statements(connection: asyncpg.Connection, name: str, verifier: str) -> list[str]:
    async def sql(template: str, *values: str) -> str:
        # format() quotes identifiers (%I) and literals (%L) the way the server parses them.
        parameters = ", ".join(f"${i}::text" for i in range(1, len(values) + 1))
        return str(await connection.fetchval(f"SELECT format('{template}', {parameters})", *values))

    exists = await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", name)
    attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT"
    statements = [
        await sql(
            f"{'ALTER' if exists else 'CREATE'} ROLE %I WITH {attributes} PASSWORD %L",
            name,
            verifier,
        ),
        await sql(
            "COMMENT ON ROLE %I IS %L", name, "bizgraph BI: reads schema bi only (bizgraph bi-role)"
        ),
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
    database = await connection.fetchval("SELECT current_database()")
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
        await sql("GRANT CONNECT ON DATABASE %I TO %I", database, name),
        await sql("GRANT USAGE ON SCHEMA bi TO %I", name),
        await sql("GRANT SELECT ON ALL TABLES IN SCHEMA bi TO %I", name),
        await sql("ALTER DEFAULT PRIVILEGES IN SCHEMA bi GRANT SELECT ON TABLES TO %I", name),
    ]
    return statements
