"""A throw-away database for a benchmark: on DATABASE_URL's server, or an embedded one; and
a Redis: REDIS_URL's, or an embedded one."""

import asyncio
import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from api.embedded import EmbeddedPostgres, EmbeddedRedis, remove_data
from api.migrate import upgrade
from domain.core.sessions import asyncpg_dsn


async def _admin(server_url: str, statement: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(server_url))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """Yield the URL of a new, migrated database; drop it (and any embedded server) after."""
    server_url = os.environ.get("DATABASE_URL")
    data_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    postgres = None
    if server_url is None:
        postgres = EmbeddedPostgres(data_dir)
        server_url = postgres.start()
    name = f"{prefix.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    database_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(database_url)
        yield database_url
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if postgres is not None:
            postgres.close()
        remove_data(data_dir)


@contextmanager
def scratch_redis(prefix: str) -> Iterator[str]:
    """Yield REDIS_URL, or the URL of an embedded Redis stopped (and removed) after."""
    given = os.environ.get("REDIS_URL")
    if given is not None:
        yield given
        return
    data_dir = Path(tempfile.mkdtemp(prefix=f"{prefix}-redis-"))
    redis = EmbeddedRedis(data_dir, persistent=False)
    try:
        yield redis.start()
    finally:
        redis.stop()
        remove_data(data_dir)
