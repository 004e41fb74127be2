"""Demand forecasts and reorder suggestions per stock item (`analytics.demand_forecast`) and
per stock level, an item in one warehouse (`analytics.warehouse_demand`).

The nightly run backtests every candidate of `domain.analytics.demand` on every item,
chooses one per class (dense, sparse) by pooled error, forecasts each item's next 30 days
with its class's choice, and checks itself by replaying all of that 30 days earlier: the
classes and the choice made from the history before then, scored on the last 30 days, next
to a naive "same as the previous 30 days" and to the fixed rule used before (Prophet for
dense items, SBA for sparse ones). Each item's forecast is then split over its warehouses
(`demand.warehouse_shares`), and each warehouse gets the reorder rule on its own stock and
what is on order for it; the check measures that split per warehouse too. Between nightly
runs, `refresh` re-applies the reorder rules to the stored demand with live stock, so an
order or a goods receipt changes days of cover and suggestions within seconds.

Lead time is the item's supplier's; items without a supplier assume 14 days (the supplier
default). Available and on order are the read rules of `domain.erp.stock_position` and
`domain.erp.on_order` (open purchase orders: ordered or partially received). The reorder
rule always runs on stock read in the writing transaction, and a row is never replaced by
one computed earlier, so a slow nightly run cannot undo a refresh that happened meanwhile."""

import asyncio
import math
from collections.abc import Mapping
from concurrent.futures import Executor
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any

import numpy as np
from sqlalchemy import Table, TextClause, func, select, text
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from domain.analytics import demand
from domain.analytics.daily import ORDER_DAY, SALES_STATUSES, dense, utc_today
from domain.analytics.progress import Progress, Silent
from domain.core.literal_sql import render_subquery
from domain.erp import on_order, stock_position
from domain.erp.models.stock import Supplier

RUN = "forecast_demand"
DEFAULT_LEAD_TIME_DAYS = 14

_UNITS = text(
    f"""
    SELECT l.stock_item_id, o.warehouse_id, {ORDER_DAY} AS day, sum(l.quantity) AS units
    FROM erp.sales_order o JOIN erp.sales_order_line l ON l.sales_order_id = o.id
    WHERE o.status IN {SALES_STATUSES} AND o.ordered_at < :until
    GROUP BY 1, 2, 3
    """
)
# Units sold per item and day, and per item, warehouse and day.
Units = dict[int, list[tuple[date, float]]]
WarehouseUnits = dict[tuple[int, int], list[tuple[date, float]]]


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


def _levels_statement() -> Any:
    """Every stock level (an item in a warehouse) with its reorder inputs, live: the item's
    supplier lead time, pack size and reorder point, the level's available units and what
    open purchase orders bring to that warehouse (the stock and purchasing read rules)."""
    level, item = stock_position.STOCK_LEVEL, stock_position.STOCK_ITEM
    supplier: Table = Supplier.__table__  # type: ignore[assignment]
    ordered = on_order.on_order_by_item_and_warehouse()
    return (
        select(
            level.c.id.label("stock_level_id"),
            level.c.stock_item_id,
            level.c.warehouse_id,
            item.c.pack_size,
            item.c.reorder_point,
            item.c.is_active,
            func.coalesce(supplier.c.lead_time_days, DEFAULT_LEAD_TIME_DAYS).label(
                "lead_time_days"
            ),
            stock_position.available(level).label("available"),
            func.coalesce(ordered.c.on_order, 0).label("on_order"),
        )
        .select_from(
            level.join(item, item.c.id == level.c.stock_item_id)
            .outerjoin(supplier, supplier.c.id == item.c.supplier_id)
            .outerjoin(
                ordered,
                (ordered.c.stock_item_id == level.c.stock_item_id)
                & (ordered.c.warehouse_id == level.c.warehouse_id),
            )
        )
        .order_by(level.c.id)
    )


_ITEMS = _items_statement()
_LEVELS = _levels_statement()
_STORED_LEVELS = text(
    "SELECT stock_level_id, share, daily_demand_sd FROM analytics.warehouse_demand"
)
_WRITE_LEVELS = text(
    """
    INSERT INTO analytics.warehouse_demand (
        stock_level_id, stock_item_id, warehouse_id, method, share, daily_demand,
        daily_demand_sd, forecast_demand_30d, available, on_order, lead_time_days,
        reorder_level, days_of_cover, suggested_reorder_quantity, computed_at)
    SELECT level, item, warehouse, method, round(share::numeric, 4), round(daily::numeric, 4),
           round(sd::numeric, 4), round(total::numeric, 2), available, on_order, lead_time,
           reorder_level, round(cover::numeric, 1), suggested, now()
    FROM unnest(CAST(:levels AS bigint[]), CAST(:items AS bigint[]),
                CAST(:warehouses AS bigint[]), CAST(:methods AS text[]),
                CAST(:shares AS float8[]), CAST(:daily AS float8[]), CAST(:sd AS float8[]),
                CAST(:total AS float8[]), CAST(:available AS int[]), CAST(:on_order AS int[]),
                CAST(:lead_time AS int[]), CAST(:reorder_level AS int[]),
                CAST(:cover AS float8[]), CAST(:suggested AS int[]))
         AS f(level, item, warehouse, method, share, daily, sd, total, available, on_order,
              lead_time, reorder_level, cover, suggested)
    ON CONFLICT (stock_level_id) DO UPDATE SET
        method = EXCLUDED.method, share = EXCLUDED.share,
        daily_demand = EXCLUDED.daily_demand, daily_demand_sd = EXCLUDED.daily_demand_sd,
        forecast_demand_30d = EXCLUDED.forecast_demand_30d, available = EXCLUDED.available,
        on_order = EXCLUDED.on_order, lead_time_days = EXCLUDED.lead_time_days,
        reorder_level = EXCLUDED.reorder_level, days_of_cover = EXCLUDED.days_of_cover,
        suggested_reorder_quantity = EXCLUDED.suggested_reorder_quantity,
        computed_at = EXCLUDED.computed_at
    WHERE analytics.warehouse_demand.computed_at <= EXCLUDED.computed_at
    """
)
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
    """Backtest, choose per class, forecast every item, check, store; (rows, details)."""
    as_of = as_of or utc_today()
    progress = progress or Silent()
    last = as_of - timedelta(days=1)
    async with engine.connect() as connection:
        units, by_warehouse = await _units(connection, as_of)
        items = await items_with_stock(connection)
    histories = {row.id: _history(units, row.id, None, last) for row in items}
    progress.start(len(items))
    # The newest ORIGINS origins choose for the run; the oldest ORIGINS choose for the
    # check, which is scored on the newest (the last 30 days).
    backtests = await _backtest_all(executor, histories, last, demand.ORIGINS + 1, progress)
    run_classes = {i: demand.demand_class(h) for i, h in histories.items()}
    check_classes = {
        i: demand.demand_class(h[: -demand.HORIZON_DAYS]) for i, h in histories.items()
    }
    choices = _choose(backtests, run_classes, slice(0, demand.ORIGINS))
    check_choices = _choose(backtests, check_classes, slice(1, demand.ORIGINS + 1))
    methods = {i: choices[run_classes[i]][0] for i in histories}
    forecasts = await _forecast_all(executor, histories, last, methods)
    validation = _validation(backtests, check_classes, check_choices)
    details: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "items": len(items),
        "backtest_origins": demand.ORIGINS,
        "choice": {
            cls: {"method": method, "items": _count(run_classes, cls), "rmse": rmse}
            for cls, (method, rmse) in choices.items()
        },
        "validation": validation,
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
        levels = [row for row in await _stock_levels(connection) if row.stock_item_id in by_id]
        sold = {key: _history(by_warehouse, key, None, last) for key in by_warehouse}
        await _write_levels(connection, levels, by_id, _shares(levels, sold))
    validation.update(_warehouse_check(backtests, check_choices, check_classes, sold, levels))
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
    written = await _write(connection, items, forecasts)
    stored_levels = {
        row.stock_level_id: row for row in (await connection.execute(_STORED_LEVELS)).all()
    }
    levels = [row for row in await _stock_levels(connection) if row.stock_level_id in stored_levels]
    shares = {
        row.stock_level_id: demand.WarehouseShare(
            row.warehouse_id,
            float(stored_levels[row.stock_level_id].share),
            float(stored_levels[row.stock_level_id].daily_demand_sd),
        )
        for row in levels
    }
    by_id = {f.item_id: f for f in forecasts}
    await _write_levels(connection, [r for r in levels if r.stock_item_id in by_id], by_id, shares)
    return written


async def items_with_stock(connection: AsyncConnection) -> list[Row[Any]]:
    """Each item's reorder inputs: lead time, available stock and units on order, live."""
    rows = await connection.execute(_ITEMS, {"default_lead": DEFAULT_LEAD_TIME_DAYS})
    return list(rows.all())


async def _units(connection: AsyncConnection, as_of: date) -> tuple[Units, WarehouseUnits]:
    """Units sold per item and day, and per item, warehouse and day, before `as_of`."""
    until = datetime.combine(as_of, time.min, tzinfo=UTC)
    per_day: dict[int, dict[date, float]] = {}
    by_warehouse: WarehouseUnits = {}
    for item_id, warehouse_id, day, quantity in await connection.execute(_UNITS, {"until": until}):
        days = per_day.setdefault(item_id, {})
        days[day] = days.get(day, 0.0) + float(quantity)
        by_warehouse.setdefault((item_id, warehouse_id), []).append((day, float(quantity)))
    by_item = {item: sorted(days.items()) for item, days in per_day.items()}
    return by_item, by_warehouse


async def _stock_levels(connection: AsyncConnection) -> list[Row[Any]]:
    return list((await connection.execute(_LEVELS)).all())


def _shares(
    levels: list[Row[Any]], sold: Mapping[tuple[int, int], np.ndarray], ignore_days: int = 0
) -> dict[int, demand.WarehouseShare]:
    """Each stock level's share of its item's demand, from its units sold per day (`sold`,
    per item and warehouse, ending the same day), leaving out the last `ignore_days`."""
    warehouses: dict[int, list[int]] = {}
    for row in levels:
        warehouses.setdefault(row.stock_item_id, []).append(row.warehouse_id)
    level_of = {(row.stock_item_id, row.warehouse_id): row.stock_level_id for row in levels}
    shares: dict[int, demand.WarehouseShare] = {}
    for item_id, stocked in warehouses.items():
        recent = {
            w: units[: max(len(units) - ignore_days, 0)]
            for w in stocked
            if (units := sold.get((item_id, w))) is not None
        }
        for share in demand.warehouse_shares(recent, stocked):
            shares[level_of[(item_id, share.warehouse_id)]] = share
    return shares


def _history(
    units: Mapping[Any, list[tuple[date, float]]], key: Any, first: date | None, last: date
) -> np.ndarray:
    """Units per day of one series (an item, or an item in a warehouse) from its first
    sale (or `first`) to `last`."""
    values = units.get(key, [])
    start = first or min((day for day, _ in values), default=last)
    return dense(values, start, last) if start <= last else np.zeros(0)


async def _backtest_all(
    executor: Executor | None,
    histories: dict[int, np.ndarray],
    last: date,
    origins: int,
    progress: Progress,
) -> dict[int, demand.ItemBacktest]:
    loop = asyncio.get_running_loop()

    async def one(item_id: int, units: np.ndarray) -> demand.ItemBacktest:
        # Prophet where the item is dense now or was at the check's cut.
        prophet = demand.is_dense(units) or demand.is_dense(units[: -demand.HORIZON_DAYS])
        try:
            return await loop.run_in_executor(
                executor,
                partial(demand.backtest_item, prophet=prophet),
                item_id,
                last - timedelta(days=len(units) - 1),
                units,
                origins,
            )
        finally:
            progress.advance()

    done = await asyncio.gather(*(one(i, h) for i, h in histories.items()))
    return {b.item_id: b for b in done}


def _choose(
    backtests: dict[int, demand.ItemBacktest], classes: dict[int, str], origins: slice
) -> dict[str, tuple[str, dict[str, float]]]:
    """Per class, the method chosen from these origins, with every candidate's RMSE."""
    return {
        cls: demand.choose([b for i, b in backtests.items() if classes[i] == cls], origins)
        for cls in (demand.DENSE, demand.SPARSE)
    }


def _count(classes: dict[int, str], cls: str) -> int:
    return sum(1 for c in classes.values() if c == cls)


async def _forecast_all(
    executor: Executor | None,
    histories: dict[int, np.ndarray],
    last: date,
    methods: dict[int, str],
) -> list[demand.ItemDemand]:
    loop = asyncio.get_running_loop()

    async def one(item_id: int, units: np.ndarray) -> demand.ItemDemand:
        arguments = (
            item_id,
            last - timedelta(days=len(units) - 1),
            units,
            demand.HORIZON_DAYS,
            methods[item_id],
        )
        if methods[item_id] == demand.PROPHET:
            return await loop.run_in_executor(executor, demand.forecast_item, *arguments)
        return demand.forecast_item(*arguments)

    return list(await asyncio.gather(*(one(i, h) for i, h in histories.items())))


def _validation(
    backtests: dict[int, demand.ItemBacktest],
    classes: dict[int, str],
    choices: dict[str, tuple[str, dict[str, float]]],
) -> dict[str, Any]:
    """The check: errors of the last 30 days' totals, forecast as the run 30 days earlier
    would have (its classes, its choice), overall and per class, next to the naive
    baseline and to the fixed rule used before choosing by backtest.

    WAPE = Σ|forecast − actual| / Σ actual. On intermittent items it rewards forecasting
    zero (most items sell nothing in most months), so bias = Σ forecast / Σ actual − 1 is
    reported too: a reorder plan needs totals that are right on average.
    """
    checked = {i: b for i, b in backtests.items() if not np.isnan(b.actual[0])}

    def figures_for(chosen: list[int], prefix: str) -> dict[str, Any]:
        observed = [checked[i].actual[0] for i in chosen]
        total = sum(observed)
        figures: dict[str, Any] = {f"{prefix}items": len(chosen)}
        if total <= 0:
            return figures
        forecasts = {
            "": [checked[i].predicted[choices[classes[i]][0]][0] for i in chosen],
            "baseline_": [checked[i].predicted[demand.NAIVE][0] for i in chosen],
            "rule_": [checked[i].predicted[demand.DEFAULT_METHOD[classes[i]]][0] for i in chosen],
        }
        for kind, predicted in forecasts.items():
            pairs = zip(predicted, observed, strict=True)
            figures[f"{prefix}{kind}wape"] = sum(abs(f - o) for f, o in pairs) / total
            figures[f"{prefix}{kind}bias"] = sum(predicted) / total - 1
        return figures

    result: dict[str, Any] = {"holdout_days": demand.HORIZON_DAYS}
    result.update(figures_for(list(checked), ""))
    for cls, (method, _) in choices.items():
        result[f"{cls}_method"] = method
        result.update(figures_for([i for i in checked if classes[i] == cls], f"{cls}_"))
    return result


async def _write(
    connection: AsyncConnection, items: list[Row[Any]], forecasts: list[demand.ItemDemand]
) -> int:
    points = [int(row.reorder_point) for row in items]
    result = await connection.execute(
        _WRITE, {"ids": [row.id for row in items], **_planned(items, forecasts, points)}
    )
    return result.rowcount or 0


async def _write_levels(
    connection: AsyncConnection,
    levels: list[Row[Any]],
    forecasts: Mapping[int, demand.ItemDemand],
    shares: Mapping[int, demand.WarehouseShare],
) -> int:
    """Each stock level's part of its item's forecast and its own reorder suggestion: the
    item's rule on the warehouse's available stock and what is on its way there, with the
    item's reorder point split by the same share."""
    chosen = [row for row in levels if row.stock_level_id in shares]
    parts: list[demand.ItemDemand] = []
    points: list[int] = []
    for row in chosen:
        item, share = forecasts[row.stock_item_id], shares[row.stock_level_id].share
        sd = shares[row.stock_level_id].sd
        parts.append(
            demand.ItemDemand(item.item_id, item.method, item.daily * share, item.total * share, sd)
        )
        points.append(math.ceil(int(row.reorder_point) * share - 1e-9))
    result = await connection.execute(
        _WRITE_LEVELS,
        {
            "levels": [row.stock_level_id for row in chosen],
            "items": [row.stock_item_id for row in chosen],
            "warehouses": [row.warehouse_id for row in chosen],
            "shares": [shares[row.stock_level_id].share for row in chosen],
            **_planned(chosen, parts, points),
        },
    )
    return result.rowcount or 0


def _planned(
    rows: list[Row[Any]], forecasts: list[demand.ItemDemand], reorder_points: list[int]
) -> dict[str, list[Any]]:
    """The reorder rule on each row's live stock with its demand: the columns both tables
    store."""
    plans = [
        demand.replenishment(
            daily=f.daily,
            sd=f.sd,
            available=int(row.available),
            on_order=int(row.on_order),
            lead_time_days=int(row.lead_time_days),
            pack_size=int(row.pack_size),
            reorder_point=point,
            active=bool(row.is_active),
        )
        for row, f, point in zip(rows, forecasts, reorder_points, strict=True)
    ]
    return {
        "methods": [f.method for f in forecasts],
        "daily": [f.daily for f in forecasts],
        "sd": [f.sd for f in forecasts],
        "total": [f.total for f in forecasts],
        "available": [int(row.available) for row in rows],
        "on_order": [int(row.on_order) for row in rows],
        "lead_time": [int(row.lead_time_days) for row in rows],
        "reorder_level": [p.reorder_level for p in plans],
        "cover": [p.days_of_cover for p in plans],
        "suggested": [p.suggested for p in plans],
    }


def _warehouse_check(
    backtests: dict[int, demand.ItemBacktest],
    choices: dict[str, tuple[str, dict[str, float]]],
    classes: dict[int, str],
    sold: Mapping[tuple[int, int], np.ndarray],
    levels: list[Row[Any]],
) -> dict[str, Any]:
    """The check per warehouse: the item's checked forecast split by the shares of the
    history before the cut, against each warehouse's last 30 days and its naive."""
    shares = _shares(levels, sold, ignore_days=demand.HORIZON_DAYS)
    predicted, naive, observed = [], [], []
    for row in levels:
        tested = backtests.get(row.stock_item_id)
        if tested is None or np.isnan(tested.actual[0]):
            continue
        units = sold.get((row.stock_item_id, row.warehouse_id), np.zeros(0))
        item_forecast = tested.predicted[choices[classes[row.stock_item_id]][0]][0]
        predicted.append(item_forecast * shares[row.stock_level_id].share)
        observed.append(float(np.sum(units[-demand.HORIZON_DAYS :])))
        before = units[: max(len(units) - demand.HORIZON_DAYS, 0)]
        naive.append(float(np.sum(before[-demand.HORIZON_DAYS :])))
    total = sum(observed)
    figures: dict[str, Any] = {"warehouse_series": len(observed)}
    if total <= 0:
        return figures
    for kind, forecast in (("", predicted), ("baseline_", naive)):
        figures[f"warehouse_{kind}wape"] = (
            sum(abs(f - o) for f, o in zip(forecast, observed, strict=True)) / total
        )
        figures[f"warehouse_{kind}bias"] = sum(forecast) / total - 1
    return figures
