"""Backtest arithmetic: origins, the seasonal-naive baseline, MAPE without zero days, MASE."""

import numpy as np
import pytest

from domain.analytics.backtest import (
    BacktestSettings,
    accuracy,
    backtest,
    naive_scale,
    origins,
    seasonal_naive,
)


def test_seasonal_naive_repeats_the_last_week() -> None:
    history = np.arange(1.0, 22.0)  # days 1..21
    np.testing.assert_array_equal(
        seasonal_naive(history, 10), [15, 16, 17, 18, 19, 20, 21, 15, 16, 17]
    )


def test_origins_cover_the_last_year_with_full_horizons() -> None:
    settings = BacktestSettings(horizon=90, window=365, step=28)
    cuts = origins(730, settings)
    assert cuts[0] == 730 - 365
    assert cuts[-1] + 90 <= 730 < cuts[-1] + 90 + 28
    assert len(cuts) == 10


def test_short_series_have_no_origins() -> None:
    assert origins(60, BacktestSettings(horizon=90)) == []
    assert backtest(np.ones(60), seasonal_naive, BacktestSettings(horizon=90)).model.mase is None


def test_mape_leaves_out_days_without_revenue() -> None:
    actual = np.array([0.0, 100.0, 50.0])
    predicted = np.array([30.0, 110.0, 40.0])
    result = accuracy([(actual, predicted, 10.0)])
    assert result.mape == pytest.approx((10 / 100 + 10 / 50) / 2 * 100)
    assert result.mase == pytest.approx(np.mean([30, 10, 10]) / 10)


def test_mase_is_scaled_by_the_in_sample_weekly_naive_error() -> None:
    history = np.array([1.0] * 7 + [3.0] * 7)  # every day is 2 off its last-week value
    assert naive_scale(history) == 2.0


def test_a_perfect_forecaster_scores_zero_and_the_baseline_does_not() -> None:
    days = np.arange(500)
    series = 100 + 20 * np.sin(2 * np.pi * days / 7) + 0.2 * days  # weekly pattern, trend
    settings = BacktestSettings(horizon=30, window=120, step=30)

    def perfect(history: np.ndarray, horizon: int) -> np.ndarray:
        return series[len(history) : len(history) + horizon]

    result = backtest(series, perfect, settings)
    assert result.origins == 4
    assert (result.model.mape, result.model.mase) == (0.0, 0.0)
    assert result.baseline.mase is not None and result.baseline.mase > 0
