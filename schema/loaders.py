"""Per-request DataLoaders: every relation is one batched statement per query level.

Each batch opens its own short connection, because strawberry resolves sibling fields
concurrently and an AsyncSession must not be shared between tasks. Rows are selected as
Core mappings (no ORM hydration) and record rules are applied here, once, for every read
of customer-owned data.
"""

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, func, or_, select, true, tuple_
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.dataloader import DataLoader

from domain.core.access import Viewer
from domain.core.telemetry import observed_batch
from schema import tables as t
from schema.pagination import PageRequest

Rows = Sequence[RowMapping]

# How each customer-owned table reaches its customer: (column, parent table or None = customer).
OWNERSHIP: dict[str, tuple[str, Table | None]] = {
    "contact": ("customer_id", None),
    "interaction": ("customer_id", None),
    "opportunity": ("customer_id", None),
    "ticket": ("customer_id", None),
    "campaign_member": ("customer_id", None),
    "sales_order": ("customer_id", None),
    "invoice": ("customer_id", None),
    "payment": ("customer_id", None),
    "sales_order_line": ("sales_order_id", t.sales_order),
    "delivery": ("sales_order_id", t.sales_order),
    "delivery_line": ("delivery_id", t.delivery),
    "invoice_line": ("invoice_id", t.invoice),
}


def record_rule(viewer: Viewer, table: Table) -> ColumnElement[bool]:
    """The condition restricting `table` to rows of customers the viewer may see."""
    if not viewer.limited_to_own_customers:
        return true()
    if table is t.customer:
        return viewer.customer_rule(t.customer.c.account_manager_id)
    owner = OWNERSHIP.get(table.name)
    if owner is None:
        return true()
    column, parent = owner
    if parent is None:
        visible = select(t.customer.c.id).where(
            viewer.customer_rule(t.customer.c.account_manager_id)
        )
    else:
        visible = select(parent.c.id).where(record_rule(viewer, parent))
    return table.c[column].in_(visible)


@dataclass(frozen=True)
class Ordering:
    """A keyset ordering: sort expressions (last one unique) and their direction."""

    name: str
    columns: tuple[ColumnElement[Any], ...]
    descending: bool

    def sort(self) -> list[ColumnElement[Any]]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, key: tuple[Any, ...]) -> ColumnElement[bool]:
        """Rows strictly after `key` in this ordering (row-value comparison)."""
        row = tuple_(*self.columns)
        bound = tuple_(*[_bind(c, v) for c, v in zip(self.columns, key, strict=True)])
        return row < bound if self.descending else row > bound


def _bind(column: ColumnElement[Any], value: Any) -> Any:
    from sqlalchemy import cast, literal

    return cast(literal(value), column.type)


@dataclass
class PageRows:
    rows: list[RowMapping]
    total: int


class Loaders:
    """All loaders of one request. Created lazily; keyed by what makes their SQL differ."""

    def __init__(self, engine: AsyncEngine, viewer: Viewer) -> None:
        # Reads need no transaction: autocommit saves the BEGIN and ROLLBACK round trips.
        self.engine = engine.execution_options(isolation_level="AUTOCOMMIT")
        self.viewer = viewer
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    async def fetch(self, statement: Select[Any]) -> list[RowMapping]:
        async with self.engine.connect() as connection:
            result = await connection.execute(statement)
            return list(result.mappings().all())

    def _loader(
        self, key: Hashable, batch: Callable[[list[Any]], Awaitable[list[Any]]]
    ) -> DataLoader[Any, Any]:
        loader = self._loaders.get(key)
        if loader is None:
            # Batch sizes feed the request's metrics, labelled "kind:name" ("by_id:crm.customer").
            label = ":".join(map(str, key[:2])) if isinstance(key, tuple) else str(key)
            loader = DataLoader(load_fn=observed_batch(label, batch))
            self._loaders[key] = loader
        return loader

    def visible(self, table: Table) -> ColumnElement[bool]:
        return record_rule(self.viewer, table)

    def by_id(self, table: Table) -> DataLoader[int, RowMapping | None]:
        """`<Table>ByIdLoader`: rows by primary key (None when missing or not visible)."""

        async def batch(ids: list[int]) -> list[RowMapping | None]:
            rows = await self.fetch(select(table).where(table.c.id.in_(ids), self.visible(table)))
            found = {row["id"]: row for row in rows}
            return [found.get(i) for i in ids]

        return self._loader(("by_id", table.fullname), batch)

    def children(
        self,
        table: Table,
        key: str,
        order: Sequence[ColumnElement[Any]],
        where: ColumnElement[bool] | None = None,
    ) -> DataLoader[int, list[RowMapping]]:
        """`<Table>By<Key>Loader`: all rows per parent key, in a fixed order."""
        condition = true() if where is None else where

        async def batch(keys: list[int]) -> list[list[RowMapping]]:
            statement = (
                select(table)
                .where(table.c[key].in_(keys), self.visible(table), condition)
                .order_by(*order)
            )
            grouped: dict[int, list[RowMapping]] = {k: [] for k in keys}
            for row in await self.fetch(statement):
                grouped[row[key]].append(row)
            return [grouped[k] for k in keys]

        return self._loader(("children", table.fullname, key, str(condition)), batch)

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
        condition = true() if where is None else where

        async def batch(keys: list[int]) -> list[PageRows]:
            partition = table.c[key]
            counted = (
                select(table, func.count().over(partition_by=partition).label("_total"))
                .where(partition.in_(keys), self.visible(table), condition)
                .subquery()
            )
            position = Ordering(
                ordering.name,
                tuple(counted.c[c.name] for c in ordering.columns),
                ordering.descending,
            )
            is_after = position.after(request.after) if request.after is not None else true()
            # Rows before the cursor still carry the parent's total: keep one of them, so a page
            # past the end still knows its totalCount, in this same statement.
            ranked = select(
                counted,
                is_after.label("_after"),
                func.row_number()
                .over(partition_by=(counted.c[key], is_after), order_by=position.sort())
                .label("_rank"),
            ).subquery()
            statement = (
                select(ranked)
                .where(
                    or_(
                        and_(ranked.c._after, ranked.c._rank <= request.first + 1),
                        and_(~ranked.c._after, ranked.c._rank == 1),
                    )
                )
                .order_by(ranked.c[key], ranked.c._rank)
            )
            pages: dict[int, PageRows] = {k: PageRows([], 0) for k in keys}
            for row in await self.fetch(statement):
                page = pages[row[key]]
                page.total = row["_total"]
                if row["_after"]:
                    page.rows.append(row)
            return [pages[k] for k in keys]

        return self._loader(("page", name, request, str(condition)), batch)

    def custom(
        self, name: str, batch: Callable[[list[Any]], Awaitable[list[Any]]]
    ) -> DataLoader[Any, Any]:
        """A loader with its own batch SQL (derived fields such as amounts due)."""
        return self._loader(("custom", name), batch)


def text_search(columns: Sequence[ColumnElement[str]], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match on any of `columns` (trigram-indexed)."""
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return or_(*[column.ilike(pattern) for column in columns])
