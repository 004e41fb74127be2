"""Prophet on a daily series: the one place that knows how we configure it.

Settings, chosen on the demo data by rolling-origin backtests (docs/FORECASTING.md):
multiplicative weekly and yearly seasonality (demand is a weekday factor times a season
times a growing level, so seasonal swings grow with the level), three Fourier terms for the
year (the season is one smooth year-end peak; ten terms did no better), no daily
seasonality (the data is daily), and a stiff linear trend: changepoint prior scale 0.01
instead of Prophet's 0.05. With under two years of history a flexible trend soaks up what
is really season (or a passing shift in the customer base) and then extends its latest
slope 90 days ahead. With the stiffer trend Prophet beats the seasonal-naive baseline on
all ten demo series at 100,000 customers (five with the default) and on nine of ten at
2,000 (eight). Yearly seasonality needs a year of history to mean anything, so shorter
series go without it. Forecasts of revenue or demand are clipped at 0.

Prophet draws its intervals with the global NumPy generator: `fit_predict` seeds it, so the
same history always gives the same interval (re-running a job writes the same rows).
"""

import logging
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from prophet import Prophet

YEARLY_TERMS = 3
CHANGEPOINT_PRIOR_SCALE = 0.01
INTERVAL = 0.8
INTERVAL_SAMPLES = 1000  # Prophet's default; 300 was not measurably faster here
SEED = 20_240_601
# A fit takes well under a second; Stan's optimiser can spin for minutes on a pathological
# series. Past this, the fit fails (and the run records it) instead of holding the pool.
FIT_TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class DailyForecast:
    first_day: date
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    # A regressor's fitted effect: the relative change of the forecast per unit of it,
    # against a day of the history's average (Prophet's multiplicative coefficient).
    effects: Mapping[str, float] = field(default_factory=dict)


def quiet() -> None:
    """cmdstanpy logs every fit at INFO and prophet warns about choices we made on purpose.

    Both set their loggers' levels when first imported or used, so this runs after that.
    Prophet 1.5 also uses a pandas keyword pandas 3.1 deprecates; that is its business.
    """
    logging.getLogger("prophet.plot").disabled = True  # "plotly failed": we never plot
    warnings.filterwarnings("ignore", message="The inplace keyword", module="prophet")
    import prophet  # noqa: F401
    from cmdstanpy.utils import get_logger

    get_logger().setLevel(logging.WARNING)
    logging.getLogger("prophet").setLevel(logging.ERROR)


def fit_predict(
    first_day: date,
    history: np.ndarray,
    horizon: int,
    *,
    intervals: bool = True,
    regressors: Mapping[str, np.ndarray] | None = None,
) -> DailyForecast:
    """Fit on `history` (one value per day from `first_day`) and forecast `horizon` days.

    `regressors` hold a value for every history day and every forecast day (known ahead);
    each enters multiplicatively, like the seasons.
    """
    quiet()
    from prophet import Prophet

    days = len(history)
    model = Prophet(
        growth="linear",
        weekly_seasonality=True,
        yearly_seasonality=YEARLY_TERMS if days >= 365 else False,
        daily_seasonality=False,
        seasonality_mode="multiplicative",
        changepoint_prior_scale=CHANGEPOINT_PRIOR_SCALE,
        interval_width=INTERVAL,
        # Intervals come from sampling; backtests need only the point forecast (and a fit
        # plus predict without sampling takes about 100 ms instead of 160 ms).
        uncertainty_samples=INTERVAL_SAMPLES if intervals else 0,
    )
    regressors = regressors or {}
    for name in regressors:
        model.add_regressor(name)
    start = pd.Timestamp(first_day)
    model.fit(
        pd.DataFrame(
            {"ds": pd.date_range(start, periods=days), "y": history}
            | {name: values[:days] for name, values in regressors.items()}
        ),
        timeout=FIT_TIMEOUT_SECONDS,
    )
    future = pd.DataFrame(
        {"ds": pd.date_range(start + pd.Timedelta(days=days), periods=horizon)}
        | {name: values[days : days + horizon] for name, values in regressors.items()}
    )
    np.random.seed(SEED)
    predicted = model.predict(future)
    mean = np.maximum(predicted["yhat"].to_numpy(), 0.0)
    if intervals:
        low = np.maximum(predicted["yhat_lower"].to_numpy(), 0.0)
        high = np.maximum(predicted["yhat_upper"].to_numpy(), 0.0)
    else:
        low = high = mean
    return DailyForecast(
        first_day + timedelta(days=days), mean, low, high, _effects(model) if regressors else {}
    )


def _effects(model: "Prophet") -> dict[str, float]:
    from prophet.utilities import regressor_coefficients

    coefficients = regressor_coefficients(model)
    return {str(row.regressor): float(row.coef) for row in coefficients.itertuples()}
