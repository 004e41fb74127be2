"""Prophet as configured: learns weekly seasonality and trend, and repeats itself exactly."""

from datetime import date

import numpy as np

from domain.analytics.backtest import seasonal_naive
from domain.analytics.prophet_model import fit_predict


def _series(days: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    weekday = np.array([1.2, 1.2, 1.1, 1.1, 1.0, 0.4, 0.3])[t % 7]
    return (100 + 0.1 * t) * weekday * rng.gamma(8, 1 / 8, days)  # multiplicative noise


def test_forecast_beats_the_seasonal_naive_one_and_is_reproducible() -> None:
    series = _series(400 + 60, seed=1)
    history, future = series[:400], series[400:]
    first = fit_predict(date(2025, 1, 6), history, 60)
    again = fit_predict(date(2025, 1, 6), history, 60)
    np.testing.assert_array_equal(first.high, again.high)  # seeded interval sampling
    assert first.first_day == date(2026, 2, 10)
    assert np.all((first.low <= first.mean) & (first.mean <= first.high))
    model_error = np.mean(np.abs(first.mean - future))
    naive_error = np.mean(np.abs(seasonal_naive(history, 60) - future))
    assert model_error < 0.8 * naive_error
    inside = np.mean((future >= first.low) & (future <= first.high))
    assert 0.6 <= inside <= 0.95  # an 80 % interval, judged on 60 days
