"""Demand forecasts and reorder suggestions per stock item (`analytics.demand_forecast`).

The nightly run forecasts every item's next 30 days (`domain.analytics.demand` chooses
Prophet or SBA per item) and checks itself: the same methods, cut 30 days earlier, predict
the last 30 days, next to a naive "same as the previous 30 days" baseline. Between nightly
runs, `refresh` re-applies the reorder rule to the stored demand with live stock, so an
order or a goods receipt changes days of cover and suggestions within seconds.

Lead time is the item's supplier's; items without a supplier assume 14 days (the supplier
default). Available and on order are the read rules of `domain.erp.stock_position` and
`domain.erp.on_order` (open purchase orders: ordered or partially received). The reorder
rule always runs on stock read in the writing transaction, and a row is never replaced by
one computed earlier, so a slow nightly run cannot undo a refresh that happened meanwhile."""

import asyncio
from concurrent.futures import Executor
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
from sqlalchemy import TextClause, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.analytics import demand
from domain.analytics.daily import ORDER_DAY, SALES_STATUSES, dense, utc_today
from domain.analytics.progress import Progress, Silent
from domain.core.literal_sql import render_subquery
from domain.erp import on_order, stock_position

RUN = "forecast_demand"
DEFAULT_LEAD_TIME_DAYS = 14

_UNITS = text(
    f"""
    SELECT l.stock_item_id, {ORDER_DAY} AS day, sum(l.quantity) AS units
    FROM erp.sales_order o JOIN erp.sales_order_line l ON l.sales_order_id = o.id
    WHERE o.status IN {SALES_STATUSES} AND o.ordered_at < :until
    GROUP BY 1, 2
    """
)


def _items_statement() -> TextClause:
    """Every item with its supplier's lead time, available stock and units on order.

    Available and on order are the stock and purchasing read rules (`domain.erp.
    stock_position`, `domain.erp.on_order`), rendered into this statement.
    """
    stock = stock_position.totals_by_item()
    ordered = on_order.on_order_by_item()
    return text(
        f"""
    SELECT i.id, i.pack_size, i.reorder_point, i.is_active,
           coalesce(s.lead_time_days, :default_lead) AS lead_time_days,
           coalesce(stock.available, 0) AS available, coalesce(on_order.on_order, 0) AS on_order
    FROM erp.stock_item i
    LEFT JOIN erp.supplier s ON s.id = i.supplier_id
    LEFT JOIN {render_subquery(stock)} ON stock.stock_item_id = i.id
    LEFT JOIN {render_subquery(ordered)} ON on_order.stock_item_id = i.id
    ORDER BY i.id
    """
    )


_ITEMS = _items_statement()
_STORED = text(
    "SELECT stock_item_id, method, daily_demand, daily_demand_sd, forecast_demand_30d "
    "FROM analytics.demand_forecast"
)
_WRITE = text(
    """
    INSERT INTO analytics.demand_forecast (
        stock_item_id, method, daily_demand, daily_demand_sd, forecast_demand_30d, available,
        on_order, lead_time_days, reorder_level, days_of_cover, suggested_reorder_quantity,
        computed_at)
    SELECT id, method, round(daily::numeric, 4), round(sd::numeric, 4), round(total::numeric, 2),
           available, on_order, lead_time, reorder_level, round(cover::numeric, 1), suggested,
           now()
    FROM unnest(CAST(:ids AS bigint[]), CAST(:methods AS text[]), CAST(:daily AS float8[]),
                CAST(:sd AS float8[]), CAST(:total AS float8[]), CAST(:available AS int[]),
                CAST(:on_order AS int[]), CAST(:lead_time AS int[]), CAST(:reorder_level AS int[]),
                CAST(:cover AS float8[]), CAST(:suggested AS int[]))
         AS f(id, method, daily, sd, total, available, on_order, lead_time, reorder_level, cover,
              suggested)
    ON CONFLICT (stock_item_id) DO UPDATE SET
        method = EXCLUDED.method, daily_demand = EXCLUDED.daily_demand,
        daily_demand_sd = EXCLUDED.daily_demand_sd,
        forecast_demand_30d = EXCLUDED.forecast_demand_30d, available = EXCLUDED.available,
        on_order = EXCLUDED.on_order, lead_time_days = EXCLUDED.lead_time_days,
        reorder_level = EXCLUDED.reorder_level, days_of_cover = EXCLUDED.days_of_cover,
        suggested_reorder_quantity = EXCLUDED.suggested_reorder_quantity,
        computed_at = EXCLUDED.computed_at
    WHERE analytics.demand_forecast.computed_at <= EXCLUDED.computed_at
    """
)


async def forecast_demand(
    engine: AsyncEngine,
    *,
    executor: Executor | None,
    as_of: date | None = None,
    progress: Progress | None = None,
) -> tuple[int, dict[str, Any]]:
    """Forecast every item, check the methods on the last 30 days, store; (rows, details)."""
    as_of = as_of or utc_today()
    progress = progress or Silent()
    cut = as_of - timedelta(days=demand.HORIZON_DAYS)
    async with engine.connect() as connection:
        units = await _units(connection, as_of)
        items = await items_with_stock(connection)
    progress.start(len(items))
    last = as_of - timedelta(days=1)
    forecasts, checks = await asyncio.gather(
        _forecast_all(executor, units, items, last, progress),
        _forecast_all(executor, units, items, cut - timedelta(days=1), None),
    )
    actual = [float(np.sum(_history(units, row.id, cut, last))) for row in items]
    previous = [
        float(np.sum(_history(units, row.id, cut - timedelta(days=demand.HORIZON_DAYS), cut)[:-1]))
        for row in items
    ]
    details = {
        "as_of": as_of.isoformat(),
        "items": len(items),
        "prophet_items": sum(f.method == demand.PROPHET for f in forecasts),
        "validation": _validation(checks, actual, previous),
    }
    async with engine.begin() as connection:
        # Stock moved while the models ran: apply the reorder rule to stock as it is now.
        current = await items_with_stock(connection)
        by_id = {f.item_id: f for f in forecasts}
        rows = await _write(
            connection,
            [r for r in current if r.id in by_id],
            [by_id[r.id] for r in current if r.id in by_id],
        )
    return rows, details


async def refresh(connection: AsyncConnection) -> int:
    """Re-apply the reorder rule to the stored demand with live stock (after events)."""
    stored = {row.stock_item_id: row for row in (await connection.execute(_STORED)).all()}
    items = [row for row in await items_with_stock(connection) if row.id in stored]
    forecasts = [
        demand.ItemDemand(
            row.id,
            stored[row.id].method,
            float(stored[row.id].daily_demand),
            float(stored[row.id].forecast_demand_30d),
            float(stored[row.id].daily_demand_sd),
        )
        for row in items
    ]
    return await _write(connection, items, forecasts)


async def items_with_stock(connection: AsyncConnection) -> list[Row[Any]]:
    """Each item's reorder inputs: lead time, available stock and units on order, live."""
    rows = await connection.execute(_ITEMS, {"default_lead": DEFAULT_LEAD_TIME_DAYS})
    return list(rows.all())


async def _units(connection: AsyncConnection, as_of: date) -> dict[int, list[tuple[date, float]]]:
    until = datetime.combine(as_of, time.min, tzinfo=UTC)
    by_item: dict[int, list[tuple[date, float]]] = {}
    for item_id, day, quantity in await connection.execute(_UNITS, {"until": until}):
        by_item.setdefault(item_id, []).append((day, float(quantity)))
    return by_item


def _history(
    units: dict[int, list[tuple[date, float]]], item_id: int, first: date | None, last: date
) -> np.ndarray:
    values = units.get(item_id, [])
    start = first or min((day for day, _ in values), default=last)
    return dense(values, start, last) if start <= last else np.zeros(0)


async def _forecast_all(
    executor: Executor | None,
    units: dict[int, list[tuple[date, float]]],
    items: list[Row[Any]],
    last: date,
    progress: Progress | None,
) -> list[demand.ItemDemand]:
    loop = asyncio.get_running_loop()

    async def one(item_id: int) -> demand.ItemDemand:
        history = _history(units, item_id, None, last)
        first = last - timedelta(days=len(history) - 1)
        try:
            if demand.method_for(history) == demand.PROPHET:
                return await loop.run_in_executor(
                    executor, demand.forecast_item, item_id, first, history, demand.HORIZON_DAYS
                )
            return demand.forecast_item(item_id, first, history, demand.HORIZON_DAYS)
        finally:
            if progress is not None:
                progress.advance()

    return list(await asyncio.gather(*(one(row.id) for row in items)))


def _validation(
    checks: list[demand.ItemDemand], actual: list[float], previous: list[float]
) -> dict[str, Any]:
    """Errors of the 30-day totals, overall and per method, next to the naive baseline.

    WAPE = Σ|forecast − actual| / Σ actual. On intermittent items it rewards forecasting
    zero (most items sell nothing in most months), so bias = Σ forecast / Σ actual − 1 is
    reported too: a reorder plan needs totals that are right on average.
    """

    def figures_for(chosen: list[int], prefix: str) -> dict[str, Any]:
        observed = sum(actual[i] for i in chosen)
        if observed <= 0:
            return {f"{prefix}items": len(chosen)}
        observed_each = [actual[i] for i in chosen]
        predicted = [checks[i].total for i in chosen]
        naive = [previous[i] for i in chosen]

        def wape(forecast: list[float]) -> float:
            pairs = zip(forecast, observed_each, strict=True)
            return sum(abs(f - o) for f, o in pairs) / observed

        return {
            f"{prefix}items": len(chosen),
            f"{prefix}wape": wape(predicted),
            f"{prefix}bias": sum(predicted) / observed - 1,
            f"{prefix}baseline_wape": wape(naive),
            f"{prefix}baseline_bias": sum(naive) / observed - 1,
        }

    result: dict[str, Any] = {"holdout_days": demand.HORIZON_DAYS}
    result.update(figures_for(list(range(len(checks))), ""))
    for method in (demand.PROPHET, demand.SBA):
        chosen = [i for i, c in enumerate(checks) if c.method == method]
        result.update(figures_for(chosen, f"{method}_"))
    return result


async def _write(
    connection: AsyncConnection, items: list[Row[Any]], forecasts: list[demand.ItemDemand]
) -> int:
    plans = [
        demand.replenishment(
            daily=f.daily,
            sd=f.sd,
            available=int(row.available),
            on_order=int(row.on_order),
            lead_time_days=int(row.lead_time_days),
            pack_size=int(row.pack_size),
            reorder_point=int(row.reorder_point),
            active=bool(row.is_active),
        )
        for row, f in zip(items, forecasts, strict=True)
    ]
    result = await connection.execute(
        _WRITE,
        {
            "ids": [row.id for row in items],
            "methods": [f.method for f in forecasts],
            "daily": [f.daily for f in forecasts],
            "sd": [f.sd for f in forecasts],
            "total": [f.total for f in forecasts],
            "available": [int(row.available) for row in items],
            "on_order": [int(row.on_order) for row in items],
            "lead_time": [int(row.lead_time_days) for row in items],
            "reorder_level": [p.reorder_level for p in plans],
            "cover": [p.days_of_cover for p in plans],
            "suggested": [p.suggested for p in plans],
        },
    )
    return result.rowcount or 0
