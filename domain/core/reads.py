"""Read statements built as SQLAlchemy Core expressions, compiled once, run on raw asyncpg.

The read API runs a few statements per request over many rows. Executing them through
SQLAlchemy costs about three times raw asyncpg (statement construction, compile-cache lookup,
greenlet hand-offs, row processing), so hot read paths compile each statement shape once and
execute it here. Writes keep using SQLAlchemy sessions.
"""

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

import asyncpg
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.sql import Select

from domain.core.database import asyncpg_dsn

Row: TypeAlias = asyncpg.Record
StatementListener = Callable[[str], None]

_DIALECT = asyncpg_dialect.dialect()


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


async def _keep_session(_: asyncpg.Connection) -> None:
    # Read connections run single autocommit SELECTs and never change session state, so the
    # pool's default reset (a round trip per release) buys nothing.
    return None


class ReadPool:
    """A lazily created asyncpg pool for read statements, with statement listeners for tests."""

    def __init__(
        self,
        url: str,
        *,
        max_size: int = 10,
        statement_timeout_ms: int | None = None,
        application_name: str = "bizgraph-read",
    ) -> None:
        self._dsn = asyncpg_dsn(url)
        self._max_size = max_size
        settings = {"application_name": application_name, "jit": "off"}
        if statement_timeout_ms is not None:
            settings["statement_timeout"] = str(statement_timeout_ms)
        self._server_settings = settings
        self._pool: asyncpg.Pool | None = None
        self._opening: asyncio.Lock | None = None
        self.listeners: list[StatementListener] = []

    async def _get_pool(self) -> asyncpg.Pool:
        if self._pool is not None:
            return self._pool
        if self._opening is None:
            self._opening = asyncio.Lock()
        async with self._opening:
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=1,
                    max_size=self._max_size,
                    reset=_keep_session,
                    server_settings=self._server_settings,
                    timeout=5,
                )
        return self._pool

    async def fetch(
        self, statement: Compiled, values: Mapping[str, Any] | None = None
    ) -> list[Row]:
        """Run one compiled SELECT on its own short-lived connection; returns its rows."""
        for listener in self.listeners:
            listener(statement.sql)
        pool = self._pool or await self._get_pool()
        async with pool.acquire() as connection:
            rows: list[Row] = await connection.fetch(
                statement.sql, *statement.arguments(values or {})
            )
            return rows

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
