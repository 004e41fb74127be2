"""Engines and sessions. The URL forms accepted are plain `postgresql://` DSNs."""

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

# What other layers name without speaking SQLAlchemy themselves.
Engine = AsyncEngine
Session = AsyncSession
SessionFactory = async_sessionmaker[AsyncSession]


def sqlalchemy_url(url: str) -> str:
    """The SQLAlchemy form (asyncpg driver) of a PostgreSQL URL."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def asyncpg_dsn(url: str) -> str:
    """The plain libpq-style form of a PostgreSQL URL, for raw asyncpg connections."""
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    statement_timeout_ms: int | None = None,
    lock_timeout_ms: int | None = None,
    connect_timeout_s: float = 5.0,
    pool_timeout_s: float = 30.0,
    application_name: str = "bizgraph",
    parallel_workers: int | None = None,
) -> AsyncEngine:
    """An async engine; a statement timeout bounds what any single statement may cost, a lock
    timeout how long one waits for another transaction's lock.

    With the server down, a request fails within `connect_timeout_s` (at once when the
    connection is refused) and never waits longer than `pool_timeout_s` for a free pooled
    connection. Without pre-ping, the first use of a connection the server dropped fails
    and SQLAlchemy then discards every older pooled connection, so the pool recovers by
    itself once the server is back. `parallel_workers` caps the parallel workers of one
    statement (PostgreSQL's `max_parallel_workers_per_gather`; None: the server's).
    """
    # JIT compilation costs 10-50 ms per query and never pays off for short OLTP reads.
    server_settings = {"application_name": application_name, "jit": "off"}
    if statement_timeout_ms is not None:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    if lock_timeout_ms is not None:
        server_settings["lock_timeout"] = str(lock_timeout_ms)
    if parallel_workers is not None:
        server_settings["max_parallel_workers_per_gather"] = str(parallel_workers)
    return create_async_engine(
        sqlalchemy_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout_s,
        pool_pre_ping=False,
        connect_args={"server_settings": server_settings, "timeout": connect_timeout_s},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)
