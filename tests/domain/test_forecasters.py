"""Choosing a forecast by backtest: every candidate's shape, the choice itself, honest
seasonal-naive intervals, and a declining cohort that Prophet alone would forecast to zero."""

from datetime import date, timedelta

import numpy as np
import pytest

from domain.analytics import forecasters
from domain.analytics.backtest import Accuracy, BacktestSettings, rolling
from domain.analytics.prophet_model import fit_predict
from domain.analytics.revenue_forecast import Series, forecast_series

START = date(2024, 12, 1)


def weekly(days: int, *, seed: int = 1, noise: float = 20.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    return np.maximum(200 + 60 * np.sin(2 * np.pi * t / 7) + rng.normal(0, noise, days), 0)


@pytest.mark.parametrize("name", list(forecasters.CANDIDATES))
def test_every_candidate_forecasts_the_horizon_with_an_interval_around_it(name: str) -> None:
    history = weekly(200)
    made = forecasters.CANDIDATES[name](START, history, 30)
    assert made.first_day == START + timedelta(days=200)
    assert len(made.mean) == len(made.low) == len(made.high) == 30
    assert np.all(made.low >= 0)
    assert np.all(made.low <= made.mean) and np.all(made.mean <= made.high)
    assert np.all(made.high > made.low)  # an interval, not a point
    # Each has learnt the level (about 200) and not, say, zero.
    assert 120 < float(np.mean(made.mean)) < 280


def test_the_lowest_mase_is_served_and_a_tie_goes_to_the_simpler_method() -> None:
    scores = {
        forecasters.SEASONAL_NAIVE: Accuracy(50.0, 1.0),
        "theta": Accuracy(40.0, 0.8),
        "ets_damped": Accuracy(30.0, 0.8),
        "prophet": Accuracy(10.0, 1.2),
    }
    assert forecasters.choose(scores) == "theta"  # MASE decides, not MAPE
    scores["prophet"] = Accuracy(10.0, 0.5)
    assert forecasters.choose(scores) == "prophet"
    failed = {forecasters.SEASONAL_NAIVE: Accuracy(1.0, 2.0), "prophet": Accuracy(None, None)}
    assert forecasters.choose(failed) == forecasters.SEASONAL_NAIVE
    # A series too young for any backtest: nothing is known, the simplest method serves.
    assert forecasters.choose({"prophet": Accuracy(None, None)}) == forecasters.SEASONAL_NAIVE


def test_seasonal_naive_intervals_cover_about_eighty_percent() -> None:
    series = weekly(730, seed=7)

    def naive(history: np.ndarray, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        made = forecasters.seasonal_naive(START, history, horizon)
        return made.mean, made.low, made.high

    result, origins = rolling(series, naive, BacktestSettings(horizon=28, window=365, step=14))
    assert origins > 20
    assert result.coverage is not None and 0.7 <= result.coverage <= 0.9


def declining_cohort(days: int) -> np.ndarray:
    """One cohort of customers: steady for a quarter, then buying less and less, with a
    holiday peak and quieter weekends (the history that made Prophet forecast zero)."""
    rng = np.random.default_rng(3)
    t = np.arange(days)
    level = np.where(t < 90, 1.0, np.exp(-(t - 90) / 150.0))
    dates = [START + timedelta(days=int(i)) for i in t]
    holiday = np.array([1.8 if (d.month, d.day) >= (11, 20) else 1.0 for d in dates])
    weekend = np.array([0.6 if d.weekday() >= 5 else 1.1 for d in dates])
    return rng.poisson(60 * level * holiday * weekend) * 50.0


def test_a_declining_cohort_is_not_forecast_to_zero() -> None:
    everything = declining_cohort(548 + 90)
    history, future = everything[:548], everything[548:]
    # Prophet alone extrapolates the decline straight through zero.
    assert float(np.sum(fit_predict(START, history, 90).mean)) < 0.1 * float(np.sum(future))

    served = forecast_series(Series("company", "", START, history), 90, BacktestSettings())
    assert served.model != "prophet"
    chosen = served.scores[served.model].accuracy.mase
    baseline = served.scores[forecasters.SEASONAL_NAIVE].accuracy.mase
    assert chosen is not None and baseline is not None and chosen <= baseline
    assert served.scores["prophet"].accuracy.mase > chosen  # type: ignore[operator]
    # What is served stays near what happened, weeks five to thirteen included.
    assert 0.5 < float(np.sum(served.forecast.mean)) / float(np.sum(future)) < 1.5
    assert float(np.mean(served.forecast.mean[28:])) > 0.5 * float(np.mean(future[28:]))
