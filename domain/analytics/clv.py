"""Customer value over the next days from BG/NBD and Gamma-Gamma (pure: no database).

Functions here take and return plain arrays so they can run in a worker's process pool.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from domain.analytics import bgnbd, gamma_gamma
from domain.analytics.bgnbd import BgNbd
from domain.analytics.clv_interval import (
    LOWER_LEVELS,
    PLAIN_LEVELS,
    UPPER_LEVELS,
    Customers,
    calibrate,
    revenue_intervals,
    revenue_quantiles,
)
from domain.analytics.gamma_gamma import GammaGamma

COVERAGE_SAMPLE = 5000
MIN_REPEAT_CUSTOMERS = 10


@dataclass(frozen=True)
class Models:
    bg: BgNbd
    gg: GammaGamma
    details: dict[str, Any]

    @classmethod
    def from_details(cls, details: dict[str, Any]) -> "Models":
        return cls(BgNbd(**details["bgnbd"]), GammaGamma(**details["gamma_gamma"]), details)


@dataclass(frozen=True)
class Scores:
    expected_orders: np.ndarray
    probability_alive: np.ndarray
    expected_revenue: np.ndarray
    low: np.ndarray
    high: np.ndarray


def can_fit(customers: Customers) -> bool:
    """Gamma-Gamma learns only from repeat purchases: a few repeat customers are needed."""
    return int(np.sum(customers.x >= 1)) >= MIN_REPEAT_CUSTOMERS


def fit(customers: Customers) -> Models:
    """Fit both models on every customer with a purchase; parameters and errors as details."""
    if not can_fit(customers):
        raise ValueError(
            f"too little history to fit: fewer than {MIN_REPEAT_CUSTOMERS} repeat customers"
        )
    bg, bg_fit = bgnbd.fit(customers.x, customers.t_x, customers.T)
    gg, gg_fit = gamma_gamma.fit(customers.x, customers.m)
    details = {
        "bgnbd": bg.as_dict(),
        "bgnbd_std_errors": dict(zip(bg.as_dict(), bg_fit.std_errors, strict=True)),
        "bgnbd_log_likelihood": bg_fit.log_likelihood,
        "gamma_gamma": gg.as_dict(),
        "gamma_gamma_std_errors": dict(zip(gg.as_dict(), gg_fit.std_errors, strict=True)),
        "gamma_gamma_log_likelihood": gg_fit.log_likelihood,
        "converged": bg_fit.converged and gg_fit.converged,
        "customers": len(customers.ids),
        "repeat_customers": int(np.sum(customers.x >= 1)),
    }
    return Models(bg, gg, details)


def score(
    models: Models,
    customers: Customers,
    days: float,
    *,
    intervals: bool = True,
    levels: tuple[float, float] = PLAIN_LEVELS,
) -> Scores:
    """Expected purchases, P(alive), expected revenue and its 80% interval per customer
    (between its percentiles at `levels`, as calibrated by `validate`)."""
    orders = bgnbd.expected_purchases(models.bg, days, customers.x, customers.t_x, customers.T)
    alive = bgnbd.probability_alive(models.bg, customers.x, customers.t_x, customers.T)
    revenue = orders * gamma_gamma.expected_spend(models.gg, customers.x, customers.m)
    if intervals:
        low, high = revenue_intervals(models.bg, models.gg, days, customers, levels)
    else:
        low = high = revenue
    return Scores(orders, alive, revenue, low, high)


@dataclass(frozen=True)
class Holdout:
    """What calibration customers actually did in the holdout, and in the period before it."""

    orders: np.ndarray
    revenue: np.ndarray
    previous_orders: np.ndarray
    previous_revenue: np.ndarray


def validate(calibration: Customers, holdout: Holdout, days: int) -> dict[str, Any]:
    """Fit on the calibration period, predict the holdout, compare with what happened, and
    calibrate the intervals.

    The baseline predicts that each customer repeats their previous `days` days. The rank
    correlation (Spearman) says how well the predicted revenue orders customers by what
    they then bought. Intervals are checked on an evenly spaced sample of customers (Monte
    Carlo over all of them would double the run time for no better a figure), split in
    two: the first half chooses the percentiles the interval spans
    (`clv_interval.calibrate`: at least 80 % of buyers and of non-buyers inside, as narrow
    as that allows), the second half measures the coverage of intervals so chosen, for all
    customers and apart for those who bought in the holdout and those who did not, beside
    the plain 10th–90th percentile's; with the share of intervals that are [0, 0].
    """
    models = fit(calibration)
    scores = score(models, calibration, days, intervals=False)
    step = max(1, len(calibration.ids) // COVERAGE_SAMPLE)
    sample = slice(None, None, step)
    grid = LOWER_LEVELS + UPPER_LEVELS
    quantiles = revenue_quantiles(models.bg, models.gg, days, calibration.part(sample), grid)
    actual = holdout.revenue[sample]
    chooses = np.arange(len(actual)) % 2 == 0
    levels = calibrate(quantiles[chooses], actual[chooses])
    checked, actual = quantiles[~chooses], actual[~chooses]
    bought = actual > 0

    def column(level: float) -> np.ndarray:
        return checked[:, grid.index(level)]

    low, high = column(levels[0]), column(levels[1])
    inside = (actual >= low) & (actual <= high)
    plain = (actual >= column(PLAIN_LEVELS[0])) & (actual <= column(PLAIN_LEVELS[1]))
    return {
        "holdout_days": days,
        "customers": len(calibration.ids),
        "orders_actual": float(np.sum(holdout.orders)),
        "orders_predicted": float(np.sum(scores.expected_orders)),
        "orders_mae": _mae(scores.expected_orders, holdout.orders),
        "orders_mae_baseline": _mae(holdout.previous_orders, holdout.orders),
        "revenue_actual": float(np.sum(holdout.revenue)),
        "revenue_predicted": float(np.sum(scores.expected_revenue)),
        "revenue_mae": _mae(scores.expected_revenue, holdout.revenue),
        "revenue_mae_baseline": _mae(holdout.previous_revenue, holdout.revenue),
        "rank_correlation": _spearman(scores.expected_revenue, holdout.revenue),
        "interval_levels": list(levels),
        "interval_coverage": float(np.mean(inside)),
        "interval_coverage_buyers": _share(inside[bought]),
        "interval_coverage_non_buyers": _share(inside[~bought]),
        "plain_interval_coverage_buyers": _share(plain[bought]),
        "plain_interval_coverage_non_buyers": _share(plain[~bought]),
        "interval_zero_width": float(np.mean(high <= 0)),
        "interval_above": float(np.mean(actual > high)),
        "interval_sample": len(actual),
    }


def interval_levels(validation: dict[str, Any] | None) -> tuple[float, float]:
    """The percentiles a run's intervals span: calibrated by its holdout check when it had
    one, else the plain 10th and 90th."""
    if validation and validation.get("interval_levels"):
        low, high = validation["interval_levels"]
        return float(low), float(high)
    return PLAIN_LEVELS


def _spearman(predicted: np.ndarray, actual: np.ndarray) -> float | None:
    """Rank correlation of two columns; none when either is constant."""
    if len(actual) < 2 or np.all(actual == actual[0]) or np.all(predicted == predicted[0]):
        return None
    return float(spearmanr(predicted, actual).statistic)


def _share(flags: np.ndarray) -> float | None:
    return float(np.mean(flags)) if len(flags) else None


def _mae(predicted: np.ndarray, actual: np.ndarray) -> float:
    return float(np.mean(np.abs(predicted - actual))) if len(actual) else 0.0
