"""`bizgraph books check`: the reconciliation checks of the books, run on the database."""

import asyncio

import asyncpg

from domain.core.sessions import asyncpg_dsn
from domain.finance import reconciliation


def check_books(database_url: str) -> dict[str, int]:
    """How many records disagree, per check (0: the check holds)."""
    return asyncio.run(_check(database_url))


async def _check(database_url: str) -> dict[str, int]:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        # One snapshot for every check: the books are compared as of one moment.
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            return {
                name: int(await connection.fetchval(sql))
                for name, sql in reconciliation.CHECKS.items()
            }
    finally:
        await connection.close()
