"""Derived fields computed in SQL: one batched statement per field per query level.

Each function here is a DataLoader batch: it takes the request's loaders and the parent keys
of a whole level and returns one value per key, in order.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import String, and_, any_, case, func, literal, select
from sqlalchemy.dialects.postgresql import ARRAY

from domain.core.reads import Row
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


def _paid(invoice: Any) -> Any:
    """Payments received on `invoice`, as a correlated subquery (uses the invoice_id index)."""
    return func.coalesce(
        select(func.sum(t.payment.c.amount))
        .where(t.payment.c.invoice_id == invoice.c.id)
        .scalar_subquery(),
        0,
    )


def _invoice_amounts() -> Any:
    paid_amount = _paid(t.invoice)
    due = case((t.invoice.c.status == "void", 0), else_=t.invoice.c.total - paid_amount)
    overdue = and_(due > 0, t.invoice.c.due_on < func.current_date())
    return select(
        t.invoice.c.id,
        paid_amount.label("paid"),
        due.label("due"),
        case((overdue, func.current_date() - t.invoice.c.due_on), else_=0).label("days_overdue"),
    ).where(t.invoice.c.id == any_(KEYS))


async def invoice_amounts(ctx: Loaders, ids: list[int]) -> list[InvoiceAmounts]:
    rows = await ctx.fetch(ctx.statement("invoice_amounts", _invoice_amounts), keys=ids)
    found = {
        r["id"]: InvoiceAmounts(Decimal(r["paid"]), Decimal(r["due"]), r["days_overdue"])
        for r in rows
    }
    return [found.get(i, NO_AMOUNTS) for i in ids]


async def open_balance(ctx: Loaders, ids: list[int]) -> list[Decimal]:
    def build() -> Any:
        return (
            select(
                t.invoice.c.customer_id,
                func.sum(t.invoice.c.total - _paid(t.invoice)).label("due"),
            )
            .where(t.invoice.c.customer_id == any_(KEYS), t.invoice.c.status != "void")
            .group_by(t.invoice.c.customer_id)
        )

    rows = await ctx.fetch(ctx.statement("open_balance", build), keys=ids)
    found = {row["customer_id"]: row["due"] for row in rows}
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
        return (
            select(
                t.stock_level.c.stock_item_id,
                func.sum(t.stock_level.c.on_hand).label("on_hand"),
                func.sum(t.stock_level.c.reserved).label("reserved"),
            )
            .where(t.stock_level.c.stock_item_id == any_(KEYS))
            .group_by(t.stock_level.c.stock_item_id)
        )

    rows = await ctx.fetch(ctx.statement("stock_totals", build), keys=ids)
    found = {r["stock_item_id"]: (int(r["on_hand"]), int(r["reserved"])) for r in rows}
    return [found.get(i, (0, 0)) for i in ids]


OPEN_PO_STATUSES = ("draft", "ordered", "partially_received")


def open_purchase_orders(kind: Callable[[], Any]) -> Callable[[Loaders, list[int]], Any]:
    def build() -> Any:
        return (
            select(t.purchase_order, t.purchase_order_line.c.stock_item_id.label("_item"))
            .join(
                t.purchase_order_line,
                t.purchase_order_line.c.purchase_order_id == t.purchase_order.c.id,
            )
            .where(
                t.purchase_order_line.c.stock_item_id == any_(KEYS),
                # One array parameter: an IN list would make the SQL depend on its length.
                t.purchase_order.c.status == any_(literal(list(OPEN_PO_STATUSES), ARRAY(String))),
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


def _order_statuses_statement() -> Any:
    """Units ordered and shipped, delivery states and invoice sums per order, in one statement."""
    order = t.sales_order
    ordered = (
        select(
            t.sales_order_line.c.sales_order_id.label("order_id"),
            func.sum(t.sales_order_line.c.quantity).label("qty"),
        )
        .where(t.sales_order_line.c.sales_order_id == any_(KEYS))
        .group_by(t.sales_order_line.c.sales_order_id)
        .subquery()
    )
    shipped = (
        select(
            t.delivery.c.sales_order_id.label("order_id"),
            func.coalesce(
                func.sum(t.delivery_line.c.quantity).filter(t.delivery.c.status != "failed"), 0
            ).label("shipped"),
            func.bool_or(t.delivery.c.status == "in_transit").label("in_transit"),
            func.bool_or(t.delivery.c.status == "failed").label("failed"),
        )
        .select_from(
            t.delivery.join(t.delivery_line, t.delivery_line.c.delivery_id == t.delivery.c.id)
        )
        .where(t.delivery.c.sales_order_id == any_(KEYS))
        .group_by(t.delivery.c.sales_order_id)
        .subquery()
    )
    paid_amount = _paid(t.invoice)
    due = t.invoice.c.total - paid_amount
    billed = (
        select(
            t.invoice.c.sales_order_id.label("order_id"),
            func.sum(due).label("due"),
            func.sum(paid_amount).label("paid"),
            func.bool_or(and_(due > 0, t.invoice.c.due_on < func.current_date())).label("overdue"),
        )
        .where(t.invoice.c.sales_order_id == any_(KEYS), t.invoice.c.status != "void")
        .group_by(t.invoice.c.sales_order_id)
        .subquery()
    )
    return (
        select(
            order.c.id,
            ordered.c.qty,
            shipped.c.shipped,
            shipped.c.in_transit,
            shipped.c.failed,
            billed.c.order_id.label("invoiced"),
            billed.c.due,
            billed.c.paid,
            billed.c.overdue,
        )
        .select_from(
            order.outerjoin(ordered, ordered.c.order_id == order.c.id)
            .outerjoin(shipped, shipped.c.order_id == order.c.id)
            .outerjoin(billed, billed.c.order_id == order.c.id)
        )
        .where(order.c.id == any_(KEYS))
    )


NO_STATUSES = (e.OrderDeliveryStatus.NOT_SHIPPED.value, e.OrderPaymentStatus.NOT_INVOICED.value)


async def order_statuses(ctx: Loaders, ids: list[int]) -> list[tuple[str, str]]:
    """(delivery status, payment status) of each order: both come from one statement."""
    statement = ctx.statement("order_statuses", _order_statuses_statement)
    found = {
        row["id"]: (_delivery_status(row), _payment_status(row))
        for row in await ctx.fetch(statement, keys=ids)
    }
    return [found.get(i, NO_STATUSES) for i in ids]


def _delivery_status(row: Row) -> str:
    status = e.OrderDeliveryStatus
    shipped = row["shipped"] or 0
    if shipped == 0:
        return (status.FAILED if row["failed"] else status.NOT_SHIPPED).value
    if shipped < (row["qty"] or 0):
        return status.PARTIALLY_SHIPPED.value
    return (status.IN_TRANSIT if row["in_transit"] else status.DELIVERED).value


def _payment_status(row: Row) -> str:
    status = e.OrderPaymentStatus
    if row["invoiced"] is None:
        return status.NOT_INVOICED.value
    if row["due"] <= 0:
        return status.PAID.value
    if row["overdue"]:
        return status.OVERDUE.value
    if row["paid"] > 0:
        return status.PARTIALLY_PAID.value
    return status.UNPAID.value
