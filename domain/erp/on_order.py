"""What is on order from suppliers: the purchasing read rules, defined once.

- an open purchase order has been sent to its supplier and is not complete: ordered or
  partially received. A draft is not on order (the supplier has not seen it: counting it
  would hold back a reorder for goods nobody ordered); received and cancelled orders
  expect nothing more.
- a line's outstanding quantity is what was ordered and not yet received;
- an item's on-order quantity is the sum of the outstanding quantities of its lines on
  open purchase orders;
- a purchase order still expects an item when it is open and one of its lines for the item
  has something outstanding (a partly received order whose line for this item is complete
  no longer expects it).

The GraphQL `StockItem.openPurchaseOrders`, the reorder rules per item and per warehouse
(`domain.analytics.replenishment`) and the `bi.inventory_status` view all read these.
"""

from typing import Any

from sqlalchemy import ColumnElement, Table, any_, func, select
from sqlalchemy.dialects.postgresql import distinct_on

from domain.core.literal_sql import one_of
from domain.erp.models.purchase_orders import PurchaseOrder, PurchaseOrderLine

OPEN_PURCHASE_ORDER_STATUSES = ("ordered", "partially_received")

PURCHASE_ORDER: Table = PurchaseOrder.__table__  # type: ignore[assignment]
PURCHASE_ORDER_LINE: Table = PurchaseOrderLine.__table__  # type: ignore[assignment]


def is_open(purchase_order: Any = PURCHASE_ORDER) -> ColumnElement[bool]:
    """The order was sent to the supplier and is not yet complete (nor cancelled)."""
    return one_of(purchase_order.c.status, OPEN_PURCHASE_ORDER_STATUSES)


def outstanding(line: Any = PURCHASE_ORDER_LINE) -> ColumnElement[Any]:
    """Units of the line ordered and not yet received."""
    return line.c.quantity - line.c.quantity_received


def expecting(
    purchase_order: Any = PURCHASE_ORDER, line: Any = PURCHASE_ORDER_LINE
) -> ColumnElement[bool]:
    """`line` of `purchase_order` is still to be (partly) received."""
    return is_open(purchase_order) & (outstanding(line) > 0)


def on_order_by_item(purchase_order: Any = PURCHASE_ORDER, line: Any = PURCHASE_ORDER_LINE) -> Any:
    """A subquery (stock_item_id, on_order) over the items with open lines."""
    return _on_order(purchase_order, line, per_warehouse=False)


def on_order_by_item_and_warehouse(
    purchase_order: Any = PURCHASE_ORDER, line: Any = PURCHASE_ORDER_LINE
) -> Any:
    """A subquery (stock_item_id, warehouse_id, on_order): what each warehouse expects."""
    return _on_order(purchase_order, line, per_warehouse=True)


def _on_order(purchase_order: Any, line: Any, *, per_warehouse: bool) -> Any:
    keys = [line.c.stock_item_id] + ([purchase_order.c.warehouse_id] if per_warehouse else [])
    return (
        select(*keys, func.sum(outstanding(line)).label("on_order"))
        .select_from(line.join(purchase_order, purchase_order.c.id == line.c.purchase_order_id))
        .where(is_open(purchase_order))
        .group_by(*keys)
        .subquery("on_order")
    )


def orders_expecting(item_ids: ColumnElement[Any]) -> Any:
    """The purchase orders still expecting each item in the array: every column of the order
    and `_item`, the item; oldest order first. An order with several open lines for an item
    appears once for it."""
    order, line = PURCHASE_ORDER, PURCHASE_ORDER_LINE
    return (
        select(order, line.c.stock_item_id.label("_item"))
        .ext(distinct_on(order.c.ordered_at, order.c.id, line.c.stock_item_id))
        .join(line, line.c.purchase_order_id == order.c.id)
        .where(line.c.stock_item_id == any_(item_ids), expecting(order, line))
        .order_by(order.c.ordered_at, order.c.id, line.c.stock_item_id)
    )
