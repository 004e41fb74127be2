"""Demand forecasts and reorder suggestions per stock item (`analytics.demand_forecast`).

The nightly run backtests every candidate of `domain.analytics.demand` on every item,
chooses one per class (dense, sparse) by pooled error, forecasts each item's next 30 days
with its class's choice, and checks itself by replaying all of that 30 days earlier: the
classes and the choice made from the history before then, scored on the last 30 days, next
to a naive "same as the previous 30 days" and to the fixed rule used before (Prophet for
dense items, SBA for sparse ones). Between nightly
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
from functools import partial
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
    """Backtest, choose per class, forecast every item, check, store; (rows, details)."""
    as_of = as_of or utc_today()
    progress = progress or Silent()
    last = as_of - timedelta(days=1)
    async with engine.connect() as connection:
        units = await _units(connection, as_of)
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
    details = {
        "as_of": as_of.isoformat(),
        "items": len(items),
        "backtest_origins": demand.ORIGINS,
        "choice": {
            cls: {"method": method, "items": _count(run_classes, cls), "rmse": rmse}
            for cls, (method, rmse) in choices.items()
        },
        "validation": _validation(backtests, check_classes, check_choices),
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
