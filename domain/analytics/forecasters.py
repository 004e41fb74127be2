"""The forecasting methods a daily series may be served with, and how one is chosen.

Every series is forecast by each candidate at every origin of its rolling-origin backtest
(`domain.analytics.backtest.rolling`); the candidate with the lowest MASE is the one served,
and every candidate's scores are stored with the run. Seasonal naive is a candidate itself,
so the served forecast's backtest MASE is never worse than seasonal naive's: a method that
cannot beat "same weekday last week" on a series is not used for it.

The candidates, each with an 80 % interval, forecasts clipped at 0:
- **seasonal naive**: every future day repeats its weekday of the last observed week; the
  interval of a day k weeks ahead is spanned by the history's own errors of that rule at
  that distance (each day of the last year against the same weekday k weeks before), so
  it widens as much as the series has made it need to, no more.
- **Prophet** (`domain.analytics.prophet_model`): trend, weekly and yearly seasonality.
- **Prophet with campaigns** (`prophet_campaigns`, where campaigns reached anyone before
  the first backtest origin): Prophet with the campaign reach (`domain.analytics.drivers`)
  as a regressor, the plans as known at each origin. Like any candidate it is served only
  where its backtest beats the others, plain Prophet included: a driver is kept only
  where it helps, and the run stores its fitted effect.
- **damped-trend exponential smoothing** (ETS with additive error, damped additive trend
  and additive weekly season, statsmodels' `ETSModel`): its trend flattens out instead of
  running a slope to zero or to the sky, which is what saves a declining cohort's forecast.
  Intervals are the model's own (analytic).
- **Theta** (statsmodels' `ThetaModel`, weekly deseasonalised): a strong, cheap benchmark
  of the forecasting competitions; intervals are the model's own.

statsmodels is the well-kept home of these classical models (maintained since 2009, the
reference implementations the literature checks against, a wheel with no further
dependencies than the SciPy stack we already use); statsforecast has them too but brings
numba, whose compilation costs seconds in every new worker process.
"""

import math
import warnings
from collections.abc import Callable, Mapping
from datetime import date

import numpy as np
import pandas as pd

from domain.analytics.backtest import SEASON, Accuracy
from domain.analytics.drivers import CAMPAIGN_REACH, CampaignReach
from domain.analytics.prophet_model import INTERVAL, DailyForecast
from domain.analytics.prophet_model import fit_predict as prophet

# (first day, history, horizon) -> forecast with its 80 % interval
Method = Callable[[date, np.ndarray, int], DailyForecast]

SEASONAL_NAIVE = "seasonal_naive"
PROPHET = "prophet"
PROPHET_CAMPAIGNS = "prophet_campaigns"
# Residuals of the last year shape seasonal naive's interval.
RESIDUAL_DAYS = 365
_TAIL = (1 - INTERVAL) / 2


def seasonal_naive(first_day: date, history: np.ndarray, horizon: int) -> DailyForecast:
    """Repeat the last observed week; intervals from the rule's own errors in the history."""
    mean = np.resize(history[-SEASON:], horizon).astype(float)
    low, high = mean.copy(), mean.copy()
    weeks = (horizon + SEASON - 1) // SEASON
    spread: tuple[float, float] | None = None
    for week in range(weeks):
        lag = SEASON * (week + 1)
        errors = (history[lag:] - history[:-lag])[-RESIDUAL_DAYS:]
        if len(errors):  # else: a history too short this far ahead keeps the last spread
            below, above = np.quantile(errors, [_TAIL, 1 - _TAIL])
            spread = (float(below), float(above))
        if spread is not None:
            days = slice(SEASON * week, SEASON * (week + 1))
            low[days] += spread[0]
            high[days] += spread[1]
    return _clipped(first_day, len(history), mean, low, high)


def damped_ets(first_day: date, history: np.ndarray, horizon: int) -> DailyForecast:
    """ETS(A, Ad, A) with a weekly season."""
    series = _daily(first_day, history)
    with warnings.catch_warnings():
        # statsmodels' deprecation notices at import, and its optimiser's convergence
        # chatter; a fit that fails raises, and is then not served.
        warnings.simplefilter("ignore")
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        fitted = ETSModel(
            series,
            error="add",
            trend="add",
            damped_trend=True,
            seasonal="add",
            seasonal_periods=SEASON,
        ).fit(disp=False)
        frame = fitted.get_prediction(
            start=len(history), end=len(history) + horizon - 1
        ).summary_frame(alpha=1 - INTERVAL)
    return _clipped(
        first_day,
        len(history),
        frame["mean"].to_numpy(),
        frame["pi_lower"].to_numpy(),
        frame["pi_upper"].to_numpy(),
    )


def theta(first_day: date, history: np.ndarray, horizon: int) -> DailyForecast:
    """The Theta method on the weekly-deseasonalised series."""
    series = _daily(first_day, history)
    # A multiplicative season needs every day above zero.
    method = "multiplicative" if np.all(history > 0) else "additive"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from statsmodels.tsa.forecasting.theta import ThetaModel

        fitted = ThetaModel(series, period=SEASON, method=method).fit()
        mean = fitted.forecast(horizon).to_numpy()
        bounds = fitted.prediction_intervals(horizon, alpha=1 - INTERVAL)
    return _clipped(
        first_day,
        len(history),
        mean,
        bounds["lower"].to_numpy(),
        bounds["upper"].to_numpy(),
    )


# In order of simplicity: a tie goes to the simpler method.
CANDIDATES: dict[str, Method] = {
    SEASONAL_NAIVE: seasonal_naive,
    "theta": theta,
    "ets_damped": damped_ets,
    PROPHET: prophet,
}


def prophet_with_campaigns(reach: CampaignReach) -> Method:
    """Prophet with the campaign reach as a regressor, counting at each origin (the end
    of the history it is given) only the members added before it."""

    def method(first_day: date, history: np.ndarray, horizon: int) -> DailyForecast:
        origin = len(history)
        known = reach.known_at(origin, origin + horizon)
        return prophet(first_day, history, horizon, regressors={CAMPAIGN_REACH: known})

    return method


def candidates(reach: CampaignReach | None, first_origin: int) -> dict[str, Method]:
    """Every candidate for a series; with campaigns when any reached someone before the
    first backtest origin (a regressor that is zero in every training window fits nothing).
    """
    if reach is None or not reach.reaches_before(first_origin):
        return dict(CANDIDATES)
    return CANDIDATES | {PROPHET_CAMPAIGNS: prophet_with_campaigns(reach)}


def choose(scores: Mapping[str, Accuracy]) -> str:
    """The candidate with the lowest backtest MASE (seasonal naive when none has one).

    Seasonal naive is always scored on the same origins, so what is chosen never has a
    higher MASE than it.
    """
    scored = [
        (accuracy.mase, order, name)
        for order, (name, accuracy) in enumerate(scores.items())
        if accuracy.mase is not None and math.isfinite(accuracy.mase)
    ]
    return min(scored)[2] if scored else SEASONAL_NAIVE


def _daily(first_day: date, history: np.ndarray) -> pd.Series:
    return pd.Series(
        history.astype(float), index=pd.date_range(first_day, periods=len(history), freq="D")
    )


def _clipped(
    first_day: date, days: int, mean: np.ndarray, low: np.ndarray, high: np.ndarray
) -> DailyForecast:
    """Revenue and demand are never negative; the interval holds the point."""
    mean = np.maximum(mean, 0.0)
    return DailyForecast(
        first_day + pd.Timedelta(days=days).to_pytimedelta(),
        mean,
        np.minimum(np.maximum(low, 0.0), mean),
        np.maximum(high, mean),
    )
