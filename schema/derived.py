"""Derived fields computed in SQL: one batched statement per field per query level.

Each function here is a DataLoader batch: it takes the request's loaders and the parent keys
of a whole level and returns one value per key, in order. The rules themselves (amount due,
overdue, order statuses, stock, what is on order) are the domain's read model
(`domain.erp.receivables`, `fulfilment_status`, `stock_position`, `on_order`): this module
only batches them by the level's keys.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import any_, select

from domain.core.reads import Row
from domain.erp import fulfilment_status, on_order, receivables, stock_position
from schema import enums as e
from schema import tables as t
from schema.loaders import KEYS, Loaders

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InvoiceAmounts:
    paid: Decimal
    due: Decimal
    days_overdue: int


NO_AMOUNTS = InvoiceAmounts(ZERO, ZERO, 0)


async def invoice_amounts(ctx: Loaders, ids: list[int]) -> list[InvoiceAmounts]:
    statement = ctx.statement("invoice_amounts", lambda: receivables.invoice_amounts(KEYS))
    found = {
        r["id"]: InvoiceAmounts(Decimal(r["paid"]), Decimal(r["due"]), r["days_overdue"])
        for r in await ctx.fetch(statement, keys=ids)
    }
    return [found.get(i, NO_AMOUNTS) for i in ids]


async def open_balance(ctx: Loaders, ids: list[int]) -> list[Decimal]:
    statement = ctx.statement("open_balance", lambda: receivables.customer_balances(KEYS))
    found = {
        row["customer_id"]: row["open_balance"] for row in await ctx.fetch(statement, keys=ids)
    }
    return [found.get(i, ZERO) for i in ids]


Source = tuple[Any, dict[str, str], Callable[[], Any]]


def precomputed(name: str, sources: Sequence[Source]) -> Callable[[Loaders, list[int]], Any]:
    """A batch reading a customer's rows of several analytics tables in one statement.

    Each source is (table keyed by customer_id, {field: column}, the type to build); a
    customer gets a tuple with one object per source, None where nothing was computed yet.
    """

    def build() -> Any:
        joined: Any = t.customer
        columns: list[Any] = [t.customer.c.id]
        for i, (table, fields, _) in enumerate(sources):
            joined = joined.outerjoin(table, table.c.customer_id == t.customer.c.id)
            columns.append(table.c.customer_id.label(f"_{i}"))
            columns += [table.c[column].label(f"_{i}_{f}") for f, column in fields.items()]
        return select(*columns).select_from(joined).where(t.customer.c.id == any_(KEYS))

    empty = (None,) * len(sources)

    async def batch(ctx: Loaders, ids: list[int]) -> list[tuple[Any, ...]]:
        found = {
            row["id"]: tuple(
                kind().from_row({f: row[f"_{i}_{f}"] for f in fields})
                if row[f"_{i}"] is not None
                else None
                for i, (_, fields, kind) in enumerate(sources)
            )
            for row in await ctx.fetch(ctx.statement(name, build), keys=ids)
        }
        return [found.get(i, empty) for i in ids]

    return batch


def campaigns_of_customer(kind: Callable[[], Any]) -> Callable[[Loaders, list[int]], Any]:
    def build(ctx: Loaders) -> Any:
        return (
            select(t.campaign, t.campaign_member.c.customer_id.label("_customer"))
            .join(t.campaign_member, t.campaign_member.c.campaign_id == t.campaign.c.id)
            .where(t.campaign_member.c.customer_id == any_(KEYS), ctx.visible(t.campaign_member))
            .order_by(t.campaign.c.starts_on.desc(), t.campaign.c.id)
        )

    async def batch(ctx: Loaders, ids: list[int]) -> list[list[Any]]:
        statement = ctx.statement("campaigns_of_customer", lambda: build(ctx))
        grouped: dict[int, list[Any]] = {i: [] for i in ids}
        node = kind()
        for row in await ctx.fetch(statement, keys=ids):
            grouped[row["_customer"]].append(node.from_row(row))
        return [grouped[i] for i in ids]

    return batch


async def stock_totals(ctx: Loaders, ids: list[int]) -> list[tuple[int, int]]:
    def build() -> Any:
        totals = stock_position.totals_by_item()
        return select(totals.c.stock_item_id, totals.c.on_hand, totals.c.reserved).where(
            totals.c.stock_item_id == any_(KEYS)
        )

    rows = await ctx.fetch(ctx.statement("stock_totals", build), keys=ids)
    found = {r["stock_item_id"]: (int(r["on_hand"]), int(r["reserved"])) for r in rows}
    return [found.get(i, (0, 0)) for i in ids]


def open_purchase_orders(kind: Callable[[], Any]) -> Callable[[Loaders, list[int]], Any]:
    """The purchase orders still expecting each item (`domain.erp.on_order.expecting`)."""

    def build() -> Any:
        return (
            select(t.purchase_order, t.purchase_order_line.c.stock_item_id.label("_item"))
            .join(
                t.purchase_order_line,
                t.purchase_order_line.c.purchase_order_id == t.purchase_order.c.id,
            )
            .where(
                t.purchase_order_line.c.stock_item_id == any_(KEYS),
                on_order.expecting(t.purchase_order, t.purchase_order_line),
            )
            .order_by(t.purchase_order.c.ordered_at, t.purchase_order.c.id)
        )

    async def batch(ctx: Loaders, ids: list[int]) -> list[list[Any]]:
        rows = await ctx.fetch(ctx.statement("open_purchase_orders", build), keys=ids)
        grouped: dict[int, list[Row]] = {i: [] for i in ids}
        for row in rows:
            items = grouped[row["_item"]]
            if not items or items[-1]["id"] != row["id"]:
                items.append(row)
        node = kind()
        return [[node.from_row(row) for row in grouped[i]] for i in ids]

    return batch


NO_STATUSES = (e.OrderDeliveryStatus.NOT_SHIPPED.value, e.OrderPaymentStatus.NOT_INVOICED.value)


async def order_statuses(ctx: Loaders, ids: list[int]) -> list[tuple[str, str]]:
    """(delivery status, payment status) of each order: both come from one statement."""
    statement = ctx.statement("order_statuses", lambda: fulfilment_status.order_statuses(KEYS))
    found = {
        row["id"]: (row["delivery_status"], row["payment_status"])
        for row in await ctx.fetch(statement, keys=ids)
    }
    return [found.get(i, NO_STATUSES) for i in ids]
