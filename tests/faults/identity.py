"""Tokens for fault tests that drive an app or a served API of their own."""

import asyncpg

from api.security.tokens import mint
from api.settings import Settings
from domain.core.sessions import asyncpg_dsn
from tests.api.conftest import TEST_SECRET


async def admin_token(database_url: str, settings: Settings | None = None) -> str:
    """An admin token for the database's first active employee, signed with the test secret."""
    settings = settings or Settings(BIZGRAPH_JWT_SECRET=TEST_SECRET)
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        email = await connection.fetchval(
            "SELECT email FROM erp.employee WHERE status = 'active' ORDER BY id LIMIT 1"
        )
    finally:
        await connection.close()
    assert email is not None, "no employee: seed data first"
    return mint(
        TEST_SECRET,
        email=email,
        roles=["admin"],
        ttl_seconds=600,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
