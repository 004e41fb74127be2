"""Telling "PostgreSQL is unreachable" apart from every other failure.

An outage surfaces in several shapes: a raw OSError from connecting (refused, no Unix
socket, unreachable host), a connect timeout, a pooled connection found dead (SQLAlchemy
marks the error `connection_invalidated`), a server shutting down or starting up, too many
connections. Callers turn these into "retry later" (the API's SERVICE_UNAVAILABLE, a job's
retry) instead of a generic failure.

No pooled connection free in time is something else: the database is up, and this process
has more work than connections. That is overload (`is_pool_exhausted`), never reported as
an outage.
"""

import errno
import socket

import asyncpg
from sqlalchemy import exc as sa_exc

_NETWORK_ERRNOS = {
    errno.ENOENT,  # the Unix socket is gone: the server is stopped
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
}

_SERVER_GONE = (
    asyncpg.exceptions.PostgresConnectionError,  # class 08: connection exceptions
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,  # starting up or in recovery
    asyncpg.exceptions.TooManyConnectionsError,
)


def _causes(error: BaseException) -> list[BaseException]:
    """The error, what it wraps (`orig`) and what caused it, without cycles."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend([getattr(current, "orig", None), current.__cause__, current.__context__])
    return found


class PoolExhausted(Exception):
    """Every connection of a pool stayed busy for as long as a caller may wait for one."""


def is_pool_exhausted(error: BaseException) -> bool:
    """True when `error` means waiting for a pooled connection ran out of time."""
    # SQLAlchemy's QueuePool raises its own TimeoutError (not the built-in one).
    return any(isinstance(c, (PoolExhausted, sa_exc.TimeoutError)) for c in _causes(error))


def _is_unavailable(error: BaseException) -> bool:
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, (TimeoutError, socket.gaierror, *_SERVER_GONE)):
        return True
    return isinstance(error, OSError) and error.errno in _NETWORK_ERRNOS


def is_database_unavailable(error: BaseException) -> bool:
    """True when `error` means the database could not be reached, not that a query was wrong
    or that the pool was busy."""
    return not is_pool_exhausted(error) and any(_is_unavailable(c) for c in _causes(error))


class StatementBudgetSpent(Exception):
    """A request's read statements ran longer, in all, than its budget allows."""


def is_statement_timeout(error: BaseException) -> bool:
    """True when a statement ran past `statement_timeout` or past its request's budget."""
    return any(
        isinstance(cause, StatementBudgetSpent)
        or (
            isinstance(cause, asyncpg.exceptions.QueryCanceledError)
            and "statement timeout" in str(cause)
        )
        for cause in _causes(error)
    )


class CommitOutcomeUnknown(Exception):
    """The database went away while a transaction was committing: it may or may not have
    been saved. Only a retry under the same idempotency key, or a read, can tell."""


def is_commit_outcome_unknown(error: BaseException) -> bool:
    return any(isinstance(cause, CommitOutcomeUnknown) for cause in _causes(error))


def is_lock_timeout(error: BaseException) -> bool:
    """True when a statement gave up waiting for a lock (`lock_timeout`): another
    transaction held the row; nothing was written, and a retry is safe."""
    return any(
        isinstance(cause, asyncpg.exceptions.LockNotAvailableError) for cause in _causes(error)
    )
