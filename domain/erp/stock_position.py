"""How much of an item there is to sell, and whether to reorder it: the stock read rules.

- available (per warehouse) = on hand − reserved: units that can still be promised;
- an item's on hand, reserved and available are the sums over its warehouses;
- its position = available + on order (`domain.erp.on_order`): what it will have once the
  purchase orders on their way arrive;
- it is at its reorder point when its position is at or below the reorder point. The
  position, not the available stock, decides: an item whose replenishment is already on
  order must not be reordered again (the same rule `domain.analytics.demand` applies to
  suggest reorder quantities).

`domain.erp.stock_ledger` is the only code that changes levels; everything that reads them
(GraphQL fields and filters, order warehouse choice, replenishment, BI) uses these.
"""

from typing import Any

from sqlalchemy import ColumnElement, Table, any_, func, select

from domain.erp import on_order
from domain.erp.models.stock import StockItem, StockLevel

STOCK_ITEM: Table = StockItem.__table__  # type: ignore[assignment]
STOCK_LEVEL: Table = StockLevel.__table__  # type: ignore[assignment]


def available(level: Any = STOCK_LEVEL) -> ColumnElement[Any]:
    """Units of one level (item in one warehouse) that can still be promised."""
    return level.c.on_hand - level.c.reserved


def totals_by_item(level: Any = STOCK_LEVEL) -> Any:
    """A subquery (stock_item_id, on_hand, reserved, available, warehouses) over all warehouses."""
    return (
        select(
            level.c.stock_item_id,
            func.sum(level.c.on_hand).label("on_hand"),
            func.sum(level.c.reserved).label("reserved"),
            func.sum(available(level)).label("available"),
            func.count().filter(level.c.on_hand > 0).label("warehouses"),
        )
        .group_by(level.c.stock_item_id)
        .subquery("stock")
    )


def item_available(item: Any = STOCK_ITEM) -> ColumnElement[Any]:
    """Units of `item` available over all warehouses (a correlated subquery; 0 without stock)."""
    return func.coalesce(
        select(func.sum(available()))
        .where(STOCK_LEVEL.c.stock_item_id == item.c.id)
        .scalar_subquery(),
        0,
    )


def item_on_order(item: Any = STOCK_ITEM) -> ColumnElement[Any]:
    """Units of `item` on open purchase orders, not yet received (a correlated subquery)."""
    line, order = on_order.PURCHASE_ORDER_LINE, on_order.PURCHASE_ORDER
    return func.coalesce(
        select(func.sum(on_order.outstanding(line)))
        .select_from(line.join(order, order.c.id == line.c.purchase_order_id))
        .where(line.c.stock_item_id == item.c.id, on_order.is_open(order))
        .scalar_subquery(),
        0,
    )


def at_reorder_point(
    item: Any, available_units: ColumnElement[Any], units_on_order: ColumnElement[Any]
) -> ColumnElement[bool]:
    """The item's position (available + on order) is at or below its reorder point."""
    return available_units + units_on_order <= item.c.reorder_point


def item_at_reorder_point(item: Any = STOCK_ITEM) -> ColumnElement[bool]:
    """`at_reorder_point` with the item's live stock and purchase orders."""
    return at_reorder_point(item, item_available(item), item_on_order(item))


def item_totals(item_ids: ColumnElement[Any]) -> Any:
    """(stock_item_id, on_hand, reserved, available) over all warehouses of the items in the
    array."""
    level = STOCK_LEVEL
    return (
        select(
            level.c.stock_item_id,
            func.sum(level.c.on_hand).label("on_hand"),
            func.sum(level.c.reserved).label("reserved"),
            func.sum(available(level)).label("available"),
        )
        .where(level.c.stock_item_id == any_(item_ids))
        .group_by(level.c.stock_item_id)
    )
