"""Read statements built as SQLAlchemy Core expressions, compiled once, run on raw asyncpg.

The read API runs a few statements per request over many rows. Executing them through
SQLAlchemy costs about three times raw asyncpg (statement construction, compile-cache lookup,
greenlet hand-offs, row processing), so hot read paths compile each statement shape once and
execute it here. Writes keep using SQLAlchemy sessions.
"""

import asyncio
import json
from collections import deque
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from time import perf_counter
from typing import Any, TypeAlias

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.sql import Select

from domain.core.database_errors import PoolExhausted, StatementBudgetSpent
from domain.core.sessions import asyncpg_dsn
from domain.core.telemetry import record_statement

Row: TypeAlias = asyncpg.Record
StatementListener = Callable[[str], None]

_DIALECT = asyncpg_dialect.dialect()
# asyncpg keeps statements up to 15 KB prepared by default.
MAX_PREPARED_STATEMENT_CHARS = 1024 * 1024
# What a pooled connection raises when the server went away while it sat idle: closed
# (InterfaceError), terminated mid-protocol (InternalClientError), or lost (class 08).
_LOST_CONNECTION = (
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.AdminShutdownError,
)


@dataclass
class _OwnerShare:
    slots: asyncio.Semaphore
    users: int = 0


@dataclass(frozen=True)
class Compiled:
    """A SELECT as asyncpg runs it: SQL text with `$n` placeholders and their names in order."""

    sql: str
    params: tuple[str, ...]
    values: Mapping[str, Any]

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        merged = {**self.values, **values} if values else self.values
        return [merged[name] for name in self.params]


def compile_select(statement: Select[Any], *, one_off: bool = False) -> Compiled:
    """Compile a Core SELECT for asyncpg; bound values given in the expression become defaults.

    A statement compiled to be reused must not expand IN lists (its SQL would depend on the
    values: use `= ANY(array)`); a `one_off` statement may.
    """
    compiled = statement.compile(
        dialect=_DIALECT, compile_kwargs={"render_postcompile": True} if one_off else {}
    )
    if one_off:
        values = dict(compiled.construct_params())
    elif compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("reusable read statements must not use expanding parameters")
    else:
        values = {name: bind.value for name, bind in compiled.binds.items()}
    return Compiled(sql=compiled.string, params=tuple(compiled.positiontup or ()), values=values)


class ReadPool:
    """Connections for read statements: opened on demand up to `max_size`, reused as they are.

    A read connection only ever runs single autocommit SELECTs, so it needs none of what a
    general pool does on release (asyncpg's pool resets the session with a round trip and
    shields the release in a task of its own): handing it back is appending it to a list,
    which matters when one request runs fifteen short statements. A connection that saw
    any error, a cancellation included, is closed rather than reused.

    `per_owner` bounds the connections one owner (the API passes the employee) may hold at
    once, so one client's slow statements — a page of thirty aliased searches, say — leave
    the rest of the pool to everybody else; its further statements queue behind its own.
    """

    def __init__(
        self,
        url: str,
        *,
        max_size: int = 10,
        statement_timeout_ms: int | None = None,
        connect_timeout_s: float = 5.0,
        pool_timeout_s: float = 30.0,
        application_name: str = "bizgraph-read",
        per_owner: int | None = None,
        parallel_workers: int = 0,
    ) -> None:
        self._dsn = asyncpg_dsn(url)
        self._max_size = max_size
        self._connect_timeout_s = connect_timeout_s
        self._pool_timeout_s = pool_timeout_s
        # Read statements are compiled once per shape and run prepared: a plan made for any
        # parameter values (their keys, a page size) fits every run of a key lookup, and
        # planning a compiled read costs more than running it (1.2 ms against 0.6 ms for
        # the Customer 360 on the demo company), so it is made once per connection.
        # No parallel workers by default: starting them cost more than they saved on the
        # demo company (the overdue-customers page with its count: 58 ms without, 123 ms
        # with, on 2 cores), and an API's cores belong to its other requests.
        settings = {
            "application_name": application_name,
            "jit": "off",
            "plan_cache_mode": "force_generic_plan",
            "max_parallel_workers_per_gather": str(parallel_workers),
        }
        if statement_timeout_ms is not None:
            settings["statement_timeout"] = str(statement_timeout_ms)
        self._server_settings = settings
        self._idle: list[asyncpg.Connection] = []
        self._waiting: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._open = 0
        self._per_owner = per_owner
        self._owners: dict[Hashable, _OwnerShare] = {}
        self.listeners: list[StatementListener] = []

    def usage(self) -> tuple[int, int, int]:
        """(connections in use, idle, requests waiting for one), for the pool gauges."""
        idle = len(self._idle)
        waiting = sum(1 for waiter in self._waiting if not waiter.done())
        return self._open - idle, idle, waiting

    async def fetch(
        self,
        statement: Compiled,
        values: Mapping[str, Any] | None = None,
        *,
        owner: Hashable = None,
        timeout_s: float | None = None,
    ) -> list[Row]:
        """Run one compiled SELECT on a connection of its own; returns its rows.

        `timeout_s` cuts the statement off sooner than the statement timeout would
        (`StatementBudgetSpent`).
        """
        if owner is None or self._per_owner is None:
            return await self._fetch(statement, values, timeout_s)
        share = self._owners.get(owner)
        if share is None:
            share = self._owners[owner] = _OwnerShare(asyncio.Semaphore(self._per_owner))
        share.users += 1
        try:
            async with share.slots:
                return await self._fetch(statement, values, timeout_s)
        finally:
            share.users -= 1
            if share.users == 0:
                del self._owners[owner]

    async def _fetch(
        self, statement: Compiled, values: Mapping[str, Any] | None, timeout_s: float | None
    ) -> list[Row]:
        for listener in self.listeners:
            listener(statement.sql)
        started = perf_counter()
        arguments = statement.arguments(values or {})
        for attempt in (1, 2):
            connection = self._idle_connection() or await self._acquire()
            try:
                rows: list[Row] = await connection.fetch(
                    statement.sql, *arguments, timeout=timeout_s
                )
            except TimeoutError as error:
                # asyncpg asked the server to cancel the statement; the connection goes.
                self._discard(connection)
                raise StatementBudgetSpent("the request's statement budget is spent") from error
            except _LOST_CONNECTION:
                self._discard(connection)
                if attempt == 2:
                    raise
                # The server dropped or is dropping this idle connection (a restart), and with
                # it every other idle one: a read is safe to repeat once on a fresh connection.
                # If the server is still down, connecting says so.
                self._drop_idle()
                continue
            except BaseException:
                self._discard(connection)
                raise
            self._release(connection)
            record_statement(started)
            return rows
        raise AssertionError("unreachable")

    async def _acquire(self) -> asyncpg.Connection:
        while True:
            idle = self._idle_connection()
            if idle is not None:
                return idle
            if self._open < self._max_size:
                self._open += 1
                try:
                    return await self._connect()
                except BaseException:
                    self._open -= 1
                    raise
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                # Like the write pool: a request waits a bounded time for a connection, then
                # fails as "unavailable" instead of queueing for ever behind a stuck database.
                connection = await asyncio.wait_for(
                    asyncio.shield(waiter), timeout=self._pool_timeout_s
                )
            except TimeoutError as error:
                waiter.cancel()
                raise PoolExhausted(
                    f"no read connection free within {self._pool_timeout_s} s"
                ) from error
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled() and waiter.result() is not None:
                    self._release(waiter.result())
                raise
            if connection is not None:
                return connection
            # A connection was closed: its place is free, so loop and open one.

    async def _connect(self) -> asyncpg.Connection:
        connection = await asyncpg.connect(
            self._dsn,
            server_settings=self._server_settings,
            timeout=self._connect_timeout_s,
            # A compiled read's text is tens of kilobytes; asyncpg would not keep it prepared.
            max_cacheable_statement_size=MAX_PREPARED_STATEMENT_CHARS,
        )
        try:
            # JSON columns arrive as Python objects, as they do through SQLAlchemy.
            await connection.set_type_codec(
                "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )
        except BaseException:
            connection.terminate()
            raise
        return connection

    def _drop_idle(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.terminate()
            self._open -= 1

    def _idle_connection(self) -> asyncpg.Connection | None:
        """An idle connection still open; those the server closed (a restart) are dropped."""
        while self._idle:
            connection = self._idle.pop()
            if not connection.is_closed():
                return connection
            self._open -= 1
        return None

    def _release(self, connection: asyncpg.Connection) -> None:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return
        self._idle.append(connection)

    def _discard(self, connection: asyncpg.Connection) -> None:
        connection.terminate()
        self._open -= 1
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            await connection.close()
