"""How far a sales order has got, as its clients see it: delivery and payment status.

Both are read rules over the order's deliveries and invoices, computed in SQL for a batch
of orders in one statement:

- delivery status: nothing shipped (or failed, when the only deliveries failed), partially
  shipped while fewer units are shipped than ordered, then in transit until every shipped
  delivery arrived, then delivered. Failed deliveries do not count as shipped: their goods
  came back (`domain.erp.progress` counts the same way when it ships and fulfils).
- payment status: not invoiced (no non-void invoice), paid when nothing is due, overdue
  when any invoice is (`domain.erp.receivables`), partially paid, else unpaid.
"""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, any_, case, false, func, select, true

from domain.core.literal_sql import one_of
from domain.erp import receivables
from domain.erp.models.invoices import Invoice
from domain.erp.models.sales_orders import Delivery, DeliveryLine, SalesOrder, SalesOrderLine

ORDER_DELIVERY_STATUSES = ("not_shipped", "partially_shipped", "in_transit", "delivered", "failed")
ORDER_PAYMENT_STATUSES = ("not_invoiced", "unpaid", "partially_paid", "overdue", "paid")
# Deliveries whose goods left and did not come back.
SHIPPED_DELIVERY_STATUSES = ("in_transit", "delivered")

ORDER: Table = SalesOrder.__table__  # type: ignore[assignment]
ORDER_LINE: Table = SalesOrderLine.__table__  # type: ignore[assignment]
DELIVERY: Table = Delivery.__table__  # type: ignore[assignment]
DELIVERY_LINE: Table = DeliveryLine.__table__  # type: ignore[assignment]
INVOICE: Table = Invoice.__table__  # type: ignore[assignment]


def counts_as_shipped(delivery: Any = DELIVERY) -> ColumnElement[bool]:
    """The delivery's units are on their way or arrived (a failed one's came back)."""
    return one_of(delivery.c.status, SHIPPED_DELIVERY_STATUSES)


def is_late(delivery: Any = DELIVERY) -> ColumnElement[bool]:
    """The delivery arrived after the time promised (false while either is unknown)."""
    return func.coalesce(delivery.c.delivered_at > delivery.c.expected_at, false())


def order_statuses(ids: ColumnElement[Any], as_of: date | ColumnElement[Any] | None = None) -> Any:
    """(id, delivery_status, payment_status) of the orders whose ids are in the array `ids`.

    Each order's lines, deliveries and invoices are aggregated by a LATERAL subquery of the
    order itself, so `ids` appears once, in the outer condition: the statement answers for
    a batch of ids, or for one order it is joined to.
    """
    ordered = (
        select(func.sum(ORDER_LINE.c.quantity).label("qty"))
        .where(ORDER_LINE.c.sales_order_id == ORDER.c.id)
        .lateral("ordered")
    )
    shipped = (
        select(
            func.coalesce(func.sum(DELIVERY_LINE.c.quantity).filter(counts_as_shipped()), 0).label(
                "shipped"
            ),
            func.bool_or(DELIVERY.c.status == "in_transit").label("in_transit"),
            func.bool_or(DELIVERY.c.status == "failed").label("failed"),
        )
        .select_from(DELIVERY.join(DELIVERY_LINE, DELIVERY_LINE.c.delivery_id == DELIVERY.c.id))
        .where(DELIVERY.c.sales_order_id == ORDER.c.id)
        .lateral("shipped")
    )
    billed = (
        select(
            func.count().label("invoices"),
            func.sum(receivables.amount_due()).label("due"),
            func.sum(receivables.amount_paid()).label("paid"),
            func.bool_or(receivables.is_overdue(as_of=as_of)).label("overdue"),
        )
        .where(INVOICE.c.sales_order_id == ORDER.c.id, INVOICE.c.status != "void")
        .lateral("billed")
    )
    units_shipped = shipped.c.shipped
    delivery_status = case(
        (and_(units_shipped == 0, shipped.c.failed.is_(True)), "failed"),
        (units_shipped == 0, "not_shipped"),
        (units_shipped < func.coalesce(ordered.c.qty, 0), "partially_shipped"),
        (shipped.c.in_transit.is_(True), "in_transit"),
        else_="delivered",
    )
    payment_status = case(
        (billed.c.invoices == 0, "not_invoiced"),
        (billed.c.due <= 0, "paid"),
        (billed.c.overdue.is_(True), "overdue"),
        (billed.c.paid > 0, "partially_paid"),
        else_="unpaid",
    )
    return (
        select(
            ORDER.c.id,
            delivery_status.label("delivery_status"),
            payment_status.label("payment_status"),
        )
        .select_from(
            ORDER.outerjoin(ordered, true()).outerjoin(shipped, true()).outerjoin(billed, true())
        )
        .where(ORDER.c.id == any_(ids))
    )
