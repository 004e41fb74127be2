"""Judging a daily forecaster: rolling-origin backtests, MAPE, MASE and the seasonal-naive baseline.

A forecaster is any function `(history, horizon) -> point forecast` over a daily series
without gaps. Each origin fits on the history up to that day and forecasts the next
`horizon` days; origins step through the last year so every day of it is forecast.

- MASE divides a forecast's mean absolute error by the mean absolute error the weekly
  seasonal-naive forecast makes *in sample* (the training part before the origin, one-step
  "same day last week"); below 1 means better than that naive forecast, and it stays
  defined when the series has zero days. Averaged over origins.
- MAPE is computed over days whose actual value is not zero (a percentage of zero is
  undefined) and averaged over all those days; on sparse series it is dominated by small
  days, which is why MASE is the figure to compare.
- The baseline is the seasonal-naive forecast itself: every future day repeats the same
  weekday of the last observed week.
- Interval coverage (`rolling`, for forecasters with an 80 % interval): the share of the
  forecast days whose actual value fell inside the interval; about 0.8 when the interval
  is honest.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

Forecaster = Callable[[np.ndarray, int], np.ndarray]
# (history, horizon) -> (point forecast, lower and upper bound of its interval)
IntervalForecaster = Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray, np.ndarray]]
SEASON = 7


@dataclass(frozen=True)
class BacktestSettings:
    horizon: int = 90
    window: int = 365
    step: int = 28


@dataclass(frozen=True)
class Accuracy:
    mape: float | None
    mase: float | None
    coverage: float | None = None


@dataclass(frozen=True)
class Backtest:
    model: Accuracy
    baseline: Accuracy
    origins: int


def seasonal_naive(history: np.ndarray, horizon: int) -> np.ndarray:
    """Repeat the last observed week."""
    last_week = history[-SEASON:]
    return np.resize(last_week, horizon)


def origins(length: int, settings: BacktestSettings) -> list[int]:
    """History lengths at which to cut: the forecasts together cover the last `window` days.

    Each cut leaves a full horizon after it and at least two seasons of training data.
    """
    first = max(length - settings.window, 2 * SEASON + 1)
    last = length - settings.horizon
    return list(range(first, last + 1, settings.step))


def naive_scale(history: np.ndarray) -> float:
    """In-sample mean absolute error of the one-step weekly seasonal-naive forecast."""
    if len(history) <= SEASON:
        return float("nan")
    return float(np.mean(np.abs(history[SEASON:] - history[:-SEASON])))


def backtest(series: np.ndarray, forecaster: Forecaster, settings: BacktestSettings) -> Backtest:
    """Rolling-origin accuracy of `forecaster` and of the seasonal-naive baseline."""
    cuts = origins(len(series), settings)
    model: list[tuple[np.ndarray, np.ndarray, float]] = []
    baseline: list[tuple[np.ndarray, np.ndarray, float]] = []
    for cut in cuts:
        history, actual = series[:cut], series[cut : cut + settings.horizon]
        scale = naive_scale(history)
        model.append((actual, forecaster(history, len(actual)), scale))
        baseline.append((actual, seasonal_naive(history, len(actual)), scale))
    return Backtest(model=accuracy(model), baseline=accuracy(baseline), origins=len(cuts))


def rolling(
    series: np.ndarray, forecaster: IntervalForecaster, settings: BacktestSettings
) -> tuple[Accuracy, int]:
    """Rolling-origin accuracy of a forecaster with intervals, and its number of origins."""
    cuts = origins(len(series), settings)
    forecasts: list[tuple[np.ndarray, np.ndarray, float]] = []
    inside: list[np.ndarray] = []
    for cut in cuts:
        history, actual = series[:cut], series[cut : cut + settings.horizon]
        mean, low, high = forecaster(history, len(actual))
        forecasts.append((actual, mean, naive_scale(history)))
        inside.append((actual >= low) & (actual <= high))
    coverage = float(np.mean(np.concatenate(inside))) if inside else None
    return replace(accuracy(forecasts), coverage=coverage), len(cuts)


def accuracy(forecasts: list[tuple[np.ndarray, np.ndarray, float]]) -> Accuracy:
    """MAPE over non-zero actual days and MASE averaged over origins (None when undefined)."""
    if not forecasts:
        return Accuracy(None, None)
    actual = np.concatenate([a for a, _, _ in forecasts])
    predicted = np.concatenate([p for _, p, _ in forecasts])
    nonzero = actual != 0
    mape = (
        float(np.mean(np.abs((actual - predicted)[nonzero] / actual[nonzero])) * 100)
        if nonzero.any()
        else None
    )
    scaled = [
        float(np.mean(np.abs(a - p))) / scale
        for a, p, scale in forecasts
        if scale > 0 and np.isfinite(scale)
    ]
    return Accuracy(mape=mape, mase=float(np.mean(scaled)) if scaled else None)
