"""Demand forecasts and reorder suggestions per stock item, and the items to reorder."""

from datetime import datetime
from decimal import Decimal

import strawberry

from domain.analytics import reads as figures
from schema.core import sql
from schema.core.connections import RootSort, root_connection
from schema.core.nodes import KeyedByOwner, desc
from schema.erp.stock_items import StockItem


@strawberry.type(description="Expected demand for a stock item and whether to reorder it.")
class Replenishment(KeyedByOwner):
    OWNER_KEY = figures.REPLENISHMENT_KEY
    method: str = desc(
        "Demand method, chosen by backtest for the item's class (dense or sparse sales): "
        "`prophet` (dense items only), `naive`, `moving_average`, `croston`, `sba` or `tsb`."
    )
    daily_demand: Decimal = desc("Expected units per day over the next 30 days.")
    forecast_demand_30d: Decimal = desc("Expected units sold in the next 30 days.")
    available: int = desc("Units available (on hand minus reserved) when computed.")
    on_order: int = desc("Units on open purchase orders, not yet received.")
    lead_time_days: int = desc("Supplier lead time used.")
    reorder_level: int = desc("Reorder when available plus on order falls to this level.")
    days_of_cover: Decimal | None = desc("Days the available stock lasts; null without demand.")
    suggested_reorder_quantity: int = desc("Units to order now (whole packs); 0 if none.")
    computed_at: datetime = desc("When the workers computed these figures.")


def _soonest_out_of_stock(_: None, table: sql.Table) -> sql.RootOrdering:
    source, cover, suggested = figures.items_to_reorder()
    return sql.by_expression(
        "cover:asc", table, cover, source, descending=False, condition=suggested
    )


@strawberry.type
class ReplenishmentQueries:
    items_to_reorder = root_connection(
        StockItem,
        description="Stock items the workers suggest reordering, soonest out of stock first.",
        sort=RootSort(_soonest_out_of_stock),
    )
