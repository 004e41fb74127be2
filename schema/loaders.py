"""Per-request DataLoaders: every relation is one batched statement per query level.

Statements are Core expressions built and compiled once per shape (`domain.core.reads`) and
run on raw asyncpg, each batch on its own short connection: strawberry resolves sibling
fields concurrently, so no connection or session is shared between batches. Every read of
customer-owned data applies the record rules of `domain.core.access` here.
"""

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from time import perf_counter
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    SmallInteger,
    Table,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from strawberry.dataloader import DataLoader

from domain.core.access import VIEWER_PARAMETER, Viewer, record_rule
from domain.core.database_errors import StatementBudgetSpent
from domain.core.reads import Compiled, ReadPool, Row, compile_select
from domain.core.telemetry import observed_batch
from schema.pagination import PageRequest, invalid_cursor

# The parent keys of one batch, as one array parameter: the SQL text never depends on them.
KEYS = bindparam("keys", type_=ARRAY(BigInteger))
LIMIT = bindparam("limit", type_=Integer)


@dataclass(frozen=True)
class Ordering:
    """A keyset ordering: sort expressions (last one unique) and their direction."""

    name: str
    columns: tuple[ColumnElement[Any], ...]
    descending: bool

    def sort(self) -> list[ColumnElement[Any]]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, values: dict[str, Any] | None = None) -> ColumnElement[bool]:
        """Rows strictly after the cursor in `after_<i>` parameters (row comparison).

        Without `values` the parameters are left to bind at execution (compiled statements).
        """
        row = tuple_(*self.columns)
        bound = tuple_(
            *[
                bindparam(f"after_{i}", (values or {}).get(f"after_{i}"), type_=c.type)
                for i, c in enumerate(self.columns)
            ]
        )
        return row < bound if self.descending else row > bound

    def after_values(self, key: Sequence[Any]) -> dict[str, Any]:
        """The `after_<i>` parameters of a decoded cursor, typed like their sort columns."""
        if len(key) != len(self.columns):
            raise invalid_cursor("`after` does not match this ordering")
        return {
            f"after_{i}": _typed(column, value)
            for i, (column, value) in enumerate(zip(self.columns, key, strict=True))
        }


def newest_first(table: Table, column: str) -> Ordering:
    return Ordering("newest", (table.c[column], table.c.id), descending=True)


_PARSERS: dict[type, Callable[[Any], Any]] = {
    datetime: lambda v: datetime.fromisoformat(v),
    date: lambda v: date.fromisoformat(v),
    Decimal: Decimal,
    int: int,
    str: str,
}
# What PostgreSQL can compare with each kind of sort column; anything else would fail in SQL
# (an internal error) instead of being refused as bad input.
# Most specific first: BigInteger and SmallInteger are Integers too.
_INT_BITS = {BigInteger: 63, SmallInteger: 15, Integer: 31}
_MAX_DECIMAL = Decimal("1e30")


def _typed(column: ColumnElement[Any], value: Any) -> Any:
    try:
        if isinstance(value, (bool, float, list, dict)):
            raise TypeError(f"a {type(value).__name__} is no sort key")
        typed = _PARSERS[column.type.python_type](value)
        _check_range(column, typed)
    except (
        KeyError,
        NotImplementedError,
        TypeError,
        ValueError,
        ArithmeticError,
    ) as error:
        raise invalid_cursor() from error
    return typed


def _check_range(column: ColumnElement[Any], value: Any) -> None:
    if isinstance(value, int):
        bits = next((b for kind, b in _INT_BITS.items() if isinstance(column.type, kind)), 63)
        if not -(2**bits) <= value < 2**bits:
            raise OverflowError(f"{value} is out of range")
    elif isinstance(value, Decimal) and not (value.is_finite() and abs(value) < _MAX_DECIMAL):
        raise OverflowError(f"{value} is out of range")


@dataclass
class PageRows:
    rows: list[Row]
    total: int


# Compiled statements, shared by all requests: keyed by shape and by whether record rules apply.
_COMPILED: dict[Hashable, Compiled] = {}

Batch = Callable[[list[Any]], Awaitable[list[Any]]]


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
        self.restricted = viewer.limited_to_own_customers
        self._values = {VIEWER_PARAMETER: viewer.employee_id} if self.restricted else {}
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def statement(self, key: Hashable, build: Callable[[], Select[Any]]) -> Compiled:
        """The compiled form of the statement `build` makes, compiled once per process."""
        cache_key = (key, self.restricted)
        compiled = _COMPILED.get(cache_key)
        if compiled is None:
            compiled = _COMPILED[cache_key] = compile_select(build())
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

    def _loader(self, key: Hashable, batch: Batch) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            # Batch sizes feed the request's metrics, labelled "kind:name" ("by_id:crm.customer").
            label = ":".join(map(str, key[:2])) if isinstance(key, tuple) else str(key)
            loader = DataLoader(load_fn=observed_batch(label, batch))
            self._loaders[key] = loader
        return loader

    def visible(self, table: Table) -> ColumnElement[bool]:
        return record_rule(self.viewer, table)

    def by_id(self, table: Table) -> DataLoader[int, Row | None]:
        """`<Table>ByIdLoader`: rows by primary key (None when missing or not visible)."""
        key = ("by_id", table.fullname)
        loader = self._loaders.get(key)
        if loader is not None:
            return loader
        statement = self.statement(
            key, lambda: select(table).where(table.c.id == any_(KEYS), self.visible(table))
        )

        async def batch(ids: list[int]) -> list[Row | None]:
            found = {row["id"]: row for row in await self.fetch(statement, keys=ids)}
            return [found.get(i) for i in ids]

        return self._loader(key, batch)

    def children(
        self,
        table: Table,
        key: str,
        order: Sequence[ColumnElement[Any]],
        where: ColumnElement[bool] | None = None,
        *,
        name: str,
    ) -> DataLoader[int, list[Row]]:
        """`<Table>By<Key>Loader`: all rows per parent key, in a fixed order (`name` is unique)."""
        loader_key = ("children", name)
        loader = self._loaders.get(loader_key)
        if loader is not None:
            return loader
        condition = true() if where is None else where
        statement = self.statement(
            loader_key,
            lambda: (
                select(table)
                .where(table.c[key] == any_(KEYS), self.visible(table), condition)
                .order_by(*order)
            ),
        )

        async def batch(keys: list[int]) -> list[list[Row]]:
            grouped: dict[int, list[Row]] = {k: [] for k in keys}
            for row in await self.fetch(statement, keys=keys):
                grouped[row[key]].append(row)
            return [grouped[k] for k in keys]

        return self._loader(loader_key, batch)

    def page(
        self,
        name: str,
        table: Table,
        key: str,
        ordering: Ordering,
        request: PageRequest,
        where: ColumnElement[bool] | None = None,
    ) -> DataLoader[int, PageRows]:
        """One page per parent for all parents in ONE statement (window functions).

        `count(*) over` is evaluated before the keyset condition, so totals ignore `after`;
        `row_number() over` after it, so each parent gets its own first+1 rows.
        """
        loader_key = ("page", name, request)
        loader = self._loaders.get(loader_key)
        if loader is not None:
            return loader
        has_after = request.after is not None
        statement = self.statement(
            ("page", name, has_after),
            lambda: _page_statement(table, key, ordering, has_after, self.visible(table), where),
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

        return self._loader(loader_key, batch)

    def custom(
        self, name: str, batch: Callable[["Loaders", list[Any]], Awaitable[list[Any]]]
    ) -> DataLoader[Any, Any]:
        """A loader with its own batch SQL (derived fields such as amounts due)."""
        key = ("custom", name)
        loader = self._loaders.get(key)
        if loader is None:

            async def run(keys: list[Any]) -> list[Any]:
                return await batch(self, keys)

            loader = self._loader(key, run)
        return loader


def _page_statement(
    table: Table,
    key: str,
    ordering: Ordering,
    has_after: bool,
    visible: ColumnElement[bool],
    where: ColumnElement[bool] | None,
) -> Select[Any]:
    partition = table.c[key]
    counted = (
        select(table, func.count().over(partition_by=partition).label("_total"))
        .where(partition == any_(KEYS), visible, true() if where is None else where)
        .subquery()
    )
    position = Ordering(
        ordering.name, tuple(counted.c[c.name] for c in ordering.columns), ordering.descending
    )
    is_after = position.after() if has_after else true()
    # Rows before the cursor still carry the parent's total: keep one of them, so a page past
    # the end still knows its totalCount, in this same statement.
    ranked = select(
        counted,
        is_after.label("_after"),
        func.row_number()
        .over(partition_by=(counted.c[key], is_after), order_by=position.sort())
        .label("_rank"),
    ).subquery()
    return (
        select(ranked)
        .where(
            or_(
                and_(ranked.c._after, ranked.c._rank <= LIMIT),
                and_(~ranked.c._after, ranked.c._rank == 1),
            )
        )
        .order_by(ranked.c[key], ranked.c._rank)
    )


def text_search(columns: Sequence[ColumnElement[str]], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of `columns` (trigram-indexed)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*[column.ilike(pattern) for column in columns])
