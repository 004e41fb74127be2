"""Demand per stock item, chosen by backtest, and what to reorder (pure: no database).

Candidates, each a forecast of the next 30 days' units from an item's daily units sold:
- **naive**: the last 30 days again;
- **moving average**: the daily mean of the last 90 days;
- **Croston**: exponentially smoothed size of the non-zero days over the smoothed interval
  between them (α = 0.1), both starting from the history's averages, the classic method
  for intermittent demand;
- **SBA** (Syntetos–Boylan approximation): Croston times (1 − α/2), removing its known
  upward bias;
- **TSB** (Teunter–Syntetos–Babai): the smoothed probability that a day sells (updated
  every day, β = 0.1) times the smoothed size of the days that do (α = 0.1), so demand
  that dies out fades instead of waiting for the next sale;
- **Prophet** (settings of `domain.analytics.prophet_model`), for **dense** items only: at
  least a year since the item first sold and sales on at least half of the last 180 days;
  it has nothing to say about a series that is mostly zeros.

**Choice by backtest, pooled per class.** Every candidate forecasts every item from
`ORIGINS` monthly origins (cut 30, 60, … days before the end); per class (dense, sparse)
the candidate with the lowest mean squared error of the 30-day totals, over all the class's
items and origins, serves the whole class. Pooled because a choice per item from a few
origins is noise: tried, it chose worse than a fixed rule on the item's own next month.
Squared error because absolute error rewards forecasting zero for items that sell a few
times a year, while a reorder plan needs the mean.

**Per warehouse**, an item's forecast is split by each warehouse's share of the item's
units sold in the last 90 days (of all its sales when it sold nothing then; evenly when it
never sold), and σ is the warehouse's own. Forecast top-down, because a warehouse's series
is a fraction of an already intermittent one: the item's total is what the backtest can
judge, and the check measures the split per warehouse against that warehouse's naive.

Replenishment, per item and per warehouse (a reorder-point rule with safety stock):
- demand over the lead time = daily demand × supplier lead time;
- safety stock = z · σ · √lead time, z = 1.2816 (a 90% chance of not running out before
  the order arrives), σ the standard deviation of daily units over the last 90 days;
- reorder level = the larger of that sum and the item's own reorder point;
- when available + on order ≤ reorder level (and that level is above 0), suggest enough to
  reach the reorder level plus 30 days of demand, rounded up to whole packs; otherwise 0.
  Inactive items are never suggested.
- days of cover = available ÷ daily demand (none when there is no demand).
"""

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from domain.analytics.prophet_model import fit_predict

HORIZON_DAYS = 30
PROPHET_MIN_HISTORY = 365
PROPHET_RECENT_DAYS = 180
PROPHET_MIN_SELLING_SHARE = 0.5
SMOOTHING = 0.1  # α of Croston, SBA and TSB, and TSB's β
SBA_ALPHA = SMOOTHING
MOVING_AVERAGE_DAYS = 90
# Monthly backtest origins a choice is made from.
ORIGINS = 4
# An origin needs this much history before it.
MIN_HISTORY_DAYS = 30
VOLATILITY_DAYS = 90
SHARE_DAYS = 90
SERVICE_Z = 1.2816
REVIEW_DAYS = 30
DENSE = "dense"
SPARSE = "sparse"
NAIVE = "naive"
MOVING_AVERAGE = "moving_average"
CROSTON = "croston"
SBA = "sba"
TSB = "tsb"
PROPHET = "prophet"

# (first day, history, horizon) -> units over the horizon
Method = Callable[[date, np.ndarray, int], float]


@dataclass(frozen=True)
class ItemDemand:
    item_id: int
    method: str
    daily: float
    total: float
    sd: float


@dataclass(frozen=True)
class WarehouseShare:
    """A warehouse's part of an item's demand."""

    warehouse_id: int
    share: float
    sd: float


@dataclass(frozen=True)
class Replenishment:
    days_of_cover: float | None
    reorder_level: int
    suggested: int


@dataclass(frozen=True)
class ItemBacktest:
    """One item's candidates at each origin: `predicted[method][k]` and `actual[k]` are the
    units over the 30 days after origin k + 1 (cut 30·(k + 1) days before the end); NaN
    where the history before the cut was too short."""

    item_id: int
    predicted: dict[str, np.ndarray]
    actual: np.ndarray


def is_dense(units: np.ndarray) -> bool:
    """Whether the history supports Prophet: a year of it, and sales on most recent days."""
    recent = units[-PROPHET_RECENT_DAYS:]
    return bool(
        len(units) >= PROPHET_MIN_HISTORY and np.mean(recent > 0) >= PROPHET_MIN_SELLING_SHARE
    )


def demand_class(units: np.ndarray) -> str:
    return DENSE if is_dense(units) else SPARSE


def croston_parts(units: np.ndarray, alpha: float = SMOOTHING) -> tuple[float, float] | None:
    """Croston's smoothed size and interval (None without any sale)."""
    days = np.flatnonzero(units > 0)
    if len(days) == 0:
        return None
    # Start from the whole history's averages: starting from the first demand alone would
    # let one early sale dominate an item with only a handful of them.
    size = float(np.mean(units[days]))
    interval = len(units) / len(days)
    for previous, day in itertools.pairwise(days):
        size += alpha * (float(units[day]) - size)
        interval += alpha * (float(day - previous) - interval)
    return size, interval


def sba_rate(units: np.ndarray, alpha: float = SBA_ALPHA) -> float:
    """Daily demand rate by Croston's method with the Syntetos–Boylan correction."""
    parts = croston_parts(units, alpha)
    return 0.0 if parts is None else (1 - alpha / 2) * parts[0] / parts[1]


def croston_rate(units: np.ndarray) -> float:
    parts = croston_parts(units)
    return 0.0 if parts is None else parts[0] / parts[1]


def tsb_rate(units: np.ndarray, alpha: float = SMOOTHING, beta: float = SMOOTHING) -> float:
    """Daily demand rate by TSB: smoothed chance of a sale × smoothed size of a sale."""
    selling = units > 0
    if not selling.any():
        return 0.0
    chance = float(np.mean(selling))
    size = float(np.mean(units[selling]))
    for value, sold in zip(units, selling, strict=True):
        chance += beta * (float(sold) - chance)
        if sold:
            size += alpha * (float(value) - size)
    return chance * size


def _flat(rate: Callable[[np.ndarray], float]) -> Method:
    def method(first_day: date, units: np.ndarray, horizon: int) -> float:
        return rate(units) * horizon

    return method


def _prophet(first_day: date, units: np.ndarray, horizon: int) -> float:
    return float(np.sum(fit_predict(first_day, units, horizon, intervals=False).mean))


# In order of simplicity: a tie goes to the simpler method.
SPARSE_CANDIDATES: dict[str, Method] = {
    NAIVE: _flat(lambda units: float(np.mean(units[-HORIZON_DAYS:]))),
    MOVING_AVERAGE: _flat(lambda units: float(np.mean(units[-MOVING_AVERAGE_DAYS:]))),
    CROSTON: _flat(croston_rate),
    SBA: _flat(sba_rate),
    TSB: _flat(tsb_rate),
}
DENSE_CANDIDATES: dict[str, Method] = SPARSE_CANDIDATES | {PROPHET: _prophet}
CANDIDATES = {DENSE: DENSE_CANDIDATES, SPARSE: SPARSE_CANDIDATES}
# Before the first run has chosen: the rule bizgraph used before choosing by backtest.
DEFAULT_METHOD = {DENSE: PROPHET, SPARSE: SBA}


def backtest_item(
    item_id: int, first_day: date, units: np.ndarray, origins: int, *, prophet: bool
) -> ItemBacktest:
    """Every candidate (Prophet only with `prophet`) at each of `origins` monthly origins;
    runs in the process pool when Prophet is among them."""
    methods = DENSE_CANDIDATES if prophet else SPARSE_CANDIDATES
    predicted = {name: np.full(origins, np.nan) for name in methods}
    actual = np.full(origins, np.nan)
    for k in range(origins):
        cut = len(units) - HORIZON_DAYS * (k + 1)
        if cut < MIN_HISTORY_DAYS:
            break
        actual[k] = float(np.sum(units[cut : cut + HORIZON_DAYS]))
        for name, method in methods.items():
            predicted[name][k] = method(first_day, units[:cut], HORIZON_DAYS)
    return ItemBacktest(item_id, predicted, actual)


def choose(backtests: Sequence[ItemBacktest], origins: slice) -> tuple[str, dict[str, float]]:
    """The candidate with the lowest mean squared error of 30-day totals over these items
    and origins (every candidate scored on the same ones), and every candidate's RMSE."""
    if not backtests:
        return SBA, {}
    names = [n for n in backtests[0].predicted if all(n in b.predicted for b in backtests)]
    actual = np.concatenate([b.actual[origins] for b in backtests])
    scored = ~np.isnan(actual)
    rmse = {}
    for name in names:
        predicted = np.concatenate([b.predicted[name][origins] for b in backtests])
        if scored.any():
            rmse[name] = float(np.sqrt(np.mean((predicted[scored] - actual[scored]) ** 2)))
    if not rmse:
        return SBA, {}
    best = min(enumerate(rmse.items()), key=lambda entry: (entry[1][1], entry[0]))
    return best[1][0], rmse


def forecast_item(
    item_id: int, first_day: date, units: np.ndarray, horizon: int, method: str
) -> ItemDemand:
    """The next `horizon` days of one item by `method` (in the process pool for Prophet)."""
    total = max(DENSE_CANDIDATES[method](first_day, units, horizon), 0.0) if len(units) else 0.0
    sd = float(np.std(units[-VOLATILITY_DAYS:])) if len(units) else 0.0
    return ItemDemand(item_id, method, total / horizon, total, sd)


def warehouse_shares(
    recent: Mapping[int, np.ndarray], warehouses: Sequence[int]
) -> list[WarehouseShare]:
    """Each warehouse's share of an item's demand, from its daily units sold (`recent`:
    warehouse -> units per day, aligned, ending the last complete day)."""
    window = {w: recent.get(w, np.zeros(0)) for w in warehouses}
    lately = {w: float(np.sum(u[-SHARE_DAYS:])) for w, u in window.items()}
    ever = {w: float(np.sum(u)) for w, u in window.items()}
    basis = lately if sum(lately.values()) > 0 else ever
    total = sum(basis.values())
    return [
        WarehouseShare(
            w,
            basis[w] / total if total > 0 else 1 / len(warehouses),
            float(np.std(window[w][-VOLATILITY_DAYS:])) if len(window[w]) else 0.0,
        )
        for w in warehouses
    ]


def replenishment(
    *,
    daily: float,
    sd: float,
    available: int,
    on_order: int,
    lead_time_days: int,
    pack_size: int,
    reorder_point: int,
    active: bool = True,
) -> Replenishment:
    lead_demand = daily * lead_time_days
    safety = SERVICE_Z * sd * math.sqrt(lead_time_days)
    reorder_level = max(reorder_point, math.ceil(lead_demand + safety - 1e-9))
    cover = available / daily if daily > 0 else None
    position = available + on_order
    wanted = 0
    if active and reorder_level > 0 and position <= reorder_level:
        wanted = reorder_level + math.ceil(daily * REVIEW_DAYS - 1e-9) - position
    pack = max(pack_size, 1)
    return Replenishment(cover, reorder_level, math.ceil(wanted / pack) * pack if wanted > 0 else 0)
