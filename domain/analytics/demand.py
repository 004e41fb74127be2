"""Demand per stock item and what to reorder (pure: no database).

Method per item, from its daily units sold:
- **Prophet** when the history supports it: at least a year since the item first sold and
  sales on at least half of the last 180 days. Prophet models a smooth level with weekly
  and yearly seasonality; it has nothing to say about a series that is mostly zeros.
- **SBA** otherwise (Syntetos–Boylan approximation of Croston's method, α = 0.1), the
  standard simple method for intermittent demand: exponentially smoothed size of the
  non-zero days divided by the smoothed interval between them, times (1 − α/2) to remove
  Croston's known upward bias. Both start from the history's averages. A flat daily rate.

Replenishment, per item (a reorder-point rule with safety stock):
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
from dataclasses import dataclass
from datetime import date

import numpy as np

from domain.analytics.prophet_model import fit_predict

HORIZON_DAYS = 30
PROPHET_MIN_HISTORY = 365
PROPHET_RECENT_DAYS = 180
PROPHET_MIN_SELLING_SHARE = 0.5
SBA_ALPHA = 0.1
VOLATILITY_DAYS = 90
SERVICE_Z = 1.2816
REVIEW_DAYS = 30
PROPHET = "prophet"
SBA = "sba"


@dataclass(frozen=True)
class ItemDemand:
    item_id: int
    method: str
    daily: float
    total: float
    sd: float


@dataclass(frozen=True)
class Replenishment:
    days_of_cover: float | None
    reorder_level: int
    suggested: int


def method_for(units: np.ndarray) -> str:
    recent = units[-PROPHET_RECENT_DAYS:]
    supported = (
        len(units) >= PROPHET_MIN_HISTORY and np.mean(recent > 0) >= PROPHET_MIN_SELLING_SHARE
    )
    return PROPHET if supported else SBA


def sba_rate(units: np.ndarray, alpha: float = SBA_ALPHA) -> float:
    """Daily demand rate by Croston's method with the Syntetos–Boylan correction."""
    days = np.flatnonzero(units > 0)
    if len(days) == 0:
        return 0.0
    # Start from the whole history's averages: starting from the first demand alone would
    # let one early sale dominate an item with only a handful of them.
    size = float(np.mean(units[days]))
    interval = len(units) / len(days)
    for previous, day in itertools.pairwise(days):
        size += alpha * (float(units[day]) - size)
        interval += alpha * (float(day - previous) - interval)
    return (1 - alpha / 2) * size / interval


def forecast_item(item_id: int, first_day: date, units: np.ndarray, horizon: int) -> ItemDemand:
    """The next `horizon` days of one item (runs in the process pool for Prophet items)."""
    method = method_for(units)
    if method == PROPHET:
        total = float(np.sum(fit_predict(first_day, units, horizon, intervals=False).mean))
    else:
        total = sba_rate(units) * horizon
    sd = float(np.std(units[-VOLATILITY_DAYS:])) if len(units) else 0.0
    return ItemDemand(item_id, method, total / horizon, total, sd)


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
