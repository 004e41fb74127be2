"""Derived fields computed in SQL, one batched statement per field per query level."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import RowMapping
from strawberry.types import Info

from schema import enums as e
from schema import tables as t
from schema.base import loaders

T = TypeVar("T")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class InvoiceAmounts:
    paid: Decimal
    due: Decimal
    days_overdue: int


def _paid(invoice: Any) -> Any:
    """Payments received on `invoice`, as a correlated subquery (uses the invoice_id index)."""
    return func.coalesce(
        select(func.sum(t.payment.c.amount))
        .where(t.payment.c.invoice_id == invoice.c.id)
        .scalar_subquery(),
        0,
    )


async def invoice_amounts(info: Info, invoice_id: int) -> InvoiceAmounts:
    ctx = loaders(info)

    async def batch(ids: list[int]) -> list[InvoiceAmounts]:
        paid_amount = _paid(t.invoice)
        due = case((t.invoice.c.status == "void", 0), else_=t.invoice.c.total - paid_amount)
        statement = select(
            t.invoice.c.id,
            paid_amount.label("paid"),
            due.label("due"),
            case(
                (
                    and_(due > 0, t.invoice.c.due_on < func.current_date()),
                    func.current_date() - t.invoice.c.due_on,
                ),
                else_=0,
            ).label("days_overdue"),
        ).where(t.invoice.c.id.in_(ids))
        found = {
            row["id"]: InvoiceAmounts(
                Decimal(row["paid"]), Decimal(row["due"]), row["days_overdue"]
            )
            for row in await ctx.fetch(statement)
        }
        return [found.get(i, InvoiceAmounts(ZERO, ZERO, 0)) for i in ids]

    return await ctx.custom("invoice_amounts", batch).load(invoice_id)


async def open_balance(info: Info, customer_id: int) -> Decimal:
    ctx = loaders(info)

    async def batch(ids: list[int]) -> list[Decimal]:
        statement = (
            select(
                t.invoice.c.customer_id,
                func.sum(t.invoice.c.total - _paid(t.invoice)).label("due"),
            )
            .where(t.invoice.c.customer_id.in_(ids), t.invoice.c.status != "void")
            .group_by(t.invoice.c.customer_id)
        )
        found = {row["customer_id"]: row["due"] for row in await ctx.fetch(statement)}
        return [found.get(i, ZERO) for i in ids]

    return await ctx.custom("open_balance", batch).load(customer_id)


async def _one_row_per_customer(
    info: Info, name: str, table: Any, customer_id: int
) -> RowMapping | None:
    ctx = loaders(info)

    async def batch(ids: list[int]) -> list[RowMapping | None]:
        rows = await ctx.fetch(select(table).where(table.c.customer_id.in_(ids)))
        found = {row["customer_id"]: row for row in rows}
        return [found.get(i) for i in ids]

    return await ctx.custom(name, batch).load(customer_id)


async def metrics(info: Info, customer_id: int, kind: type[T]) -> T | None:
    row = await _one_row_per_customer(info, "metrics", t.customer_metrics, customer_id)
    if row is None:
        return None
    values = {name: row[name] for name in kind.__annotations__}
    if values.get("rfm_segment") is not None:
        values["rfm_segment"] = e.RfmSegment(values["rfm_segment"])
    return kind(**values)


async def forecast(info: Info, customer_id: int, kind: type[T]) -> T | None:
    row = await _one_row_per_customer(info, "forecast", t.customer_forecast, customer_id)
    if row is None:
        return None
    return kind(
        expected_orders_90d=row["expected_orders_90d"],  # type: ignore[call-arg]
        expected_revenue_90d=row["expected_revenue_90d"],
        low=row["revenue_low"],
        high=row["revenue_high"],
        probability_alive=row["probability_alive"],
        pipeline_value=row["pipeline_value"],
        method=row["method"],
        computed_at=row["computed_at"],
    )


async def campaigns_of_customer(info: Info, customer_id: int, kind: Any) -> list[Any]:
    ctx = loaders(info)

    async def batch(ids: list[int]) -> list[list[RowMapping]]:
        statement = (
            select(t.campaign, t.campaign_member.c.customer_id.label("_customer"))
            .join(t.campaign_member, t.campaign_member.c.campaign_id == t.campaign.c.id)
            .where(t.campaign_member.c.customer_id.in_(ids), ctx.visible(t.campaign_member))
            .order_by(t.campaign.c.starts_on.desc(), t.campaign.c.id)
        )
        grouped: dict[int, list[RowMapping]] = {i: [] for i in ids}
        for row in await ctx.fetch(statement):
            grouped[row["_customer"]].append(row)
        return [grouped[i] for i in ids]

    rows = await ctx.custom("campaigns_of_customer", batch).load(customer_id)
    return kind.from_rows(rows)


async def stock_totals(info: Info, item_id: int) -> tuple[int, int]:
    ctx = loaders(info)

    async def batch(ids: list[int]) -> list[tuple[int, int]]:
        statement = (
            select(
                t.stock_level.c.stock_item_id,
                func.sum(t.stock_level.c.on_hand).label("on_hand"),
                func.sum(t.stock_level.c.reserved).label("reserved"),
            )
            .where(t.stock_level.c.stock_item_id.in_(ids))
            .group_by(t.stock_level.c.stock_item_id)
        )
        found = {
            r["stock_item_id"]: (int(r["on_hand"]), int(r["reserved"]))
            for r in await ctx.fetch(statement)
        }
        return [found.get(i, (0, 0)) for i in ids]

    return await ctx.custom("stock_totals", batch).load(item_id)


async def open_purchase_orders(info: Info, item_id: int) -> Sequence[RowMapping]:
    ctx = loaders(info)

    async def batch(ids: list[int]) -> list[list[RowMapping]]:
        statement = (
            select(t.purchase_order, t.purchase_order_line.c.stock_item_id.label("_item"))
            .join(
                t.purchase_order_line,
                t.purchase_order_line.c.purchase_order_id == t.purchase_order.c.id,
            )
            .where(
                t.purchase_order_line.c.stock_item_id.in_(ids),
                t.purchase_order.c.status.in_(["draft", "ordered", "partially_received"]),
            )
            .order_by(t.purchase_order.c.ordered_at, t.purchase_order.c.id)
        )
        grouped: dict[int, list[RowMapping]] = {i: [] for i in ids}
        for row in await ctx.fetch(statement):
            items = grouped[row["_item"]]
            if not items or items[-1]["id"] != row["id"]:
                items.append(row)
        return [grouped[i] for i in ids]

    return await ctx.custom("open_purchase_orders", batch).load(item_id)


async def delivery_status(info: Info, order_id: int) -> e.OrderDeliveryStatus:
    ctx = loaders(info)

    async def batch(ids: list[int]) -> list[e.OrderDeliveryStatus]:
        ordered = (
            select(
                t.sales_order_line.c.sales_order_id.label("order_id"),
                func.sum(t.sales_order_line.c.quantity).label("qty"),
            )
            .where(t.sales_order_line.c.sales_order_id.in_(ids))
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
            .where(t.delivery.c.sales_order_id.in_(ids))
            .group_by(t.delivery.c.sales_order_id)
            .subquery()
        )
        statement = select(
            ordered.c.order_id,
            ordered.c.qty,
            shipped.c.shipped,
            shipped.c.in_transit,
            shipped.c.failed,
        ).select_from(ordered.outerjoin(shipped, shipped.c.order_id == ordered.c.order_id))
        found = {row["order_id"]: _delivery_status(row) for row in await ctx.fetch(statement)}
        return [found.get(i, e.OrderDeliveryStatus.NOT_SHIPPED) for i in ids]

    return await ctx.custom("delivery_status", batch).load(order_id)


def _delivery_status(row: RowMapping) -> e.OrderDeliveryStatus:
    shipped = row["shipped"] or 0
    if shipped == 0:
        return e.OrderDeliveryStatus.FAILED if row["failed"] else e.OrderDeliveryStatus.NOT_SHIPPED
    if shipped < row["qty"]:
        return e.OrderDeliveryStatus.PARTIALLY_SHIPPED
    return (
        e.OrderDeliveryStatus.IN_TRANSIT if row["in_transit"] else e.OrderDeliveryStatus.DELIVERED
    )


async def payment_status(info: Info, order_id: int) -> e.OrderPaymentStatus:
    ctx = loaders(info)

    async def batch(ids: list[int]) -> list[e.OrderPaymentStatus]:
        paid_amount = _paid(t.invoice)
        due = t.invoice.c.total - paid_amount
        statement = (
            select(
                t.invoice.c.sales_order_id,
                func.sum(due).label("due"),
                func.sum(paid_amount).label("paid"),
                func.bool_or(and_(due > 0, t.invoice.c.due_on < func.current_date())).label(
                    "overdue"
                ),
            )
            .where(t.invoice.c.sales_order_id.in_(ids), t.invoice.c.status != "void")
            .group_by(t.invoice.c.sales_order_id)
        )
        found = {row["sales_order_id"]: _payment_status(row) for row in await ctx.fetch(statement)}
        return [found.get(i, e.OrderPaymentStatus.NOT_INVOICED) for i in ids]

    return await ctx.custom("payment_status", batch).load(order_id)


def _payment_status(row: RowMapping) -> e.OrderPaymentStatus:
    if row["due"] <= 0:
        return e.OrderPaymentStatus.PAID
    if row["overdue"]:
        return e.OrderPaymentStatus.OVERDUE
    if row["paid"] > 0:
        return e.OrderPaymentStatus.PARTIALLY_PAID
    return e.OrderPaymentStatus.UNPAID
