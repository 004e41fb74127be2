"""Per-request DataLoaders: every relation is one batched statement per query level.

Statements come from `schema.core.sql`, are compiled once per shape (`domain.core.reads`)
and run on raw asyncpg, each batch on its own short connection: strawberry resolves sibling
fields concurrently, so no connection or session is shared between batches. Every read of
customer-owned data applies the record rules of `domain.core.access`.
"""

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from time import perf_counter
from typing import Any

from strawberry.dataloader import DataLoader

from domain.core.access import VIEWER_PARAMETER, Viewer
from domain.core.database_errors import StatementBudgetSpent
from domain.core.reads import Compiled, ReadPool, Row
from domain.core.sessions import Session
from domain.core.telemetry import observed_batch
from schema.core import sql
from schema.core.nodes import FromRow, row_values
from schema.core.pagination import PageRequest

# Compiled statements, shared by all requests: keyed by shape and by whether record rules apply.
_COMPILED: dict[Hashable, Compiled] = {}

Batch = Callable[[list[Any]], Awaitable[list[Any]]]


@dataclass
class PageRows:
    rows: list[Row]
    total: int


class Loaders:
    """All loaders of one request. Created lazily; keyed by what makes their SQL differ."""

    def __init__(
        self, reads: ReadPool, viewer: Viewer, *, statement_budget_ms: int | None = None
    ) -> None:
        self.reads = reads
        self.viewer = viewer
        # Statements of one client share a part of the pool (`ReadPool.per_owner`).
        self._owner = viewer.employee_id if viewer.employee_id is not None else viewer.email
        self._budget_s = None if statement_budget_ms is None else statement_budget_ms / 1000
        self.restricted = viewer.rules
        # Bound always: a statement without the parameter ignores it.
        self._values = {VIEWER_PARAMETER: viewer.employee_id}
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def statement(self, key: Hashable, build: Callable[[], sql.Statement]) -> Compiled:
        """The compiled form of the statement `build` makes, compiled once per process."""
        cache_key = (key, self.restricted)
        compiled = _COMPILED.get(cache_key)
        if compiled is None:
            compiled = _COMPILED[cache_key] = sql.compiled(build())
        return compiled

    async def fetch(self, statement: Compiled, **values: Any) -> list[Row]:
        """Rows of a compiled statement, with the viewer's record-rule parameter bound.

        The request's statements draw on one budget of time (waiting for a connection
        included): each may run for what is left of it, and once it is spent none starts.
        """
        if self._budget_s is None:
            return await self.reads.fetch(statement, {**self._values, **values}, owner=self._owner)
        if self._budget_s <= 0:
            raise StatementBudgetSpent("the request's statement budget is spent")
        started = perf_counter()
        try:
            return await self.reads.fetch(
                statement, {**self._values, **values}, owner=self._owner, timeout_s=self._budget_s
            )
        finally:
            self._budget_s -= perf_counter() - started

    async def fetch_once(self, statement: sql.Statement) -> list[Row]:
        """Rows of a statement whose text depends on its values (not worth keeping compiled)."""
        return await self.fetch(sql.compiled(statement, one_off=True))

    def forget(self) -> None:
        """Drop every loaded value: a mutation committed, and what was read before it may be
        stale (a second mutation of the same request must not see the first one's view)."""
        self._loaders.clear()

    async def read_in(self, session: Session, node: type[FromRow], key: int) -> Row | None:
        """A node's row as `by_id` reads it (visible to the viewer, with its row values), read
        on `session`: inside a write transaction, before its commit.

        `by_id`'s compiled statement runs on the session's own asyncpg connection: building
        and compiling it through SQLAlchemy cost more than the read, at the end of a
        transaction that may hold a contended row lock until its commit."""
        table = sql.table_of(node.MODEL)
        statement = self.statement(
            ("by_id", table.fullname),
            lambda: sql.rows_by_id(table, self.visible(table), row_values(node)),
        )
        connection = await (await session.connection()).get_raw_connection()
        driver: Any = connection.driver_connection
        rows = await driver.fetch(
            statement.sql, *statement.arguments({**self._values, "keys": [key]})
        )
        return rows[0] if rows else None

    def visible(self, table: sql.Table) -> sql.Condition:
        return sql.visible(self.viewer, table)

    def _loader(self, key: Hashable, label: str, batch: Batch) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            # Batch sizes feed the request's metrics, labelled "kind:name" ("by_id:crm.customer").
            loader = DataLoader(load_fn=observed_batch(label, batch))
            self._loaders[key] = loader
        return loader

    def by_id(self, node: type[FromRow]) -> DataLoader[int, Row | None]:
        """`<Table>ByIdLoader`: rows of a node type by primary key (None when missing or not
        visible), with its row values."""
        table = sql.table_of(node.MODEL)
        key = ("by_id", table.fullname)
        loader = self._loaders.get(key)
        if loader is not None:
            return loader
        statement = self.statement(
            key, lambda: sql.rows_by_id(table, self.visible(table), row_values(node))
        )

        async def batch(ids: list[int]) -> list[Row | None]:
            found = {row["id"]: row for row in await self.fetch(statement, keys=ids)}
            return [found.get(i) for i in ids]

        return self._loader(key, f"by_id:{table.fullname}", batch)

    def children(
        self, name: str, node: type[FromRow], key: str, order: Sequence[str]
    ) -> DataLoader[int, list[Row]]:
        """`<Table>By<Key>Loader`: all rows per parent key, in a fixed order (`name` is unique)."""
        loader_key = ("children", name)
        loader = self._loaders.get(loader_key)
        if loader is not None:
            return loader
        table = sql.table_of(node.MODEL)
        statement = self.statement(
            loader_key,
            lambda: sql.children(table, key, order, self.visible(table), row_values(node)),
        )

        async def batch(keys: list[int]) -> list[list[Row]]:
            grouped: dict[int, list[Row]] = {k: [] for k in keys}
            for row in await self.fetch(statement, keys=keys):
                grouped[row[key]].append(row)
            return [grouped[k] for k in keys]

        return self._loader(loader_key, f"children:{name}", batch)

    def page(
        self,
        name: str,
        node: type[FromRow],
        key: str,
        sort: sql.Sort,
        request: PageRequest,
        where: Any = None,
    ) -> DataLoader[int, PageRows]:
        """One page per parent for all parents in ONE statement (`sql.page_per_parent`),
        of the rows meeting `where` when given."""
        conditions = None if where is None else repr(where)
        loader_key = ("page", name, request, conditions)
        loader = self._loaders.get(loader_key)
        if loader is not None:
            return loader
        table = sql.table_of(node.MODEL)
        ordering = sort.on(table)
        has_after = request.after is not None

        def rule() -> sql.Condition:
            visible = self.visible(table)
            if where is None:
                return visible
            return sql.all_of(visible, sql.where_condition(where, table, self.viewer))

        def build() -> sql.Statement:
            return sql.page_per_parent(table, key, ordering, has_after, rule(), row_values(node))

        # Pages with conditions are compiled for this request only: their text depends on the
        # conditions, and a process-wide cache would grow with every new one.
        statement = (
            self.statement(("page", name, has_after), build)
            if where is None
            else sql.compiled(build())
        )
        values: dict[str, Any] = {"limit": request.first + 1}
        if request.after is not None:
            values.update(ordering.after_values(request.after))

        async def batch(keys: list[int]) -> list[PageRows]:
            pages: dict[int, PageRows] = {k: PageRows([], 0) for k in keys}
            for row in await self.fetch(statement, keys=keys, **values):
                page = pages[row[key]]
                page.total = row["_total"]
                if row["_after"]:
                    page.rows.append(row)
            return [pages[k] for k in keys]

        return self._loader(loader_key, f"page:{name}", batch)

    def batch(self, read: sql.BatchRead) -> DataLoader[Any, Any]:
        """A derived value per key (amounts due, statuses, computed figures), one statement per
        batch; relations reading the same `read` share its loader, so one statement serves
        all of them."""
        key = ("batch", read.name)
        loader = self._loaders.get(key)
        if loader is not None:
            return loader
        statement = self.statement(key, lambda: read.build(self.viewer))

        async def batch(keys: list[Any]) -> list[Any]:
            return read.collect(keys, await self.fetch(statement, keys=keys))

        return self._loader(key, f"custom:{read.name}", batch)
