"""How good the customer forecasts were when last checked: the holdout check of the newest
nightly run (fitted on the history up to 90 days before its as-of day, scored on those 90
days), read as the workers stored it."""

from datetime import date, datetime
from typing import Any

import strawberry
from strawberry.types import Info

from domain.analytics import customer_forecast
from domain.analytics import reads as figures
from schema.core.nodes import desc


@strawberry.type(
    description="The customer forecasts' own accuracy: fitted without the last 90 days, then "
    "compared with what each customer bought in them, beside naive predictions."
)
class CustomerForecastAccuracy:
    as_of: date | None = desc("The day the run was made as of.")
    holdout_days: int = desc("Days held out and predicted.")
    customers: int = desc("Customers the check was fitted on (those who had bought).")
    orders_mae: float = desc("Mean absolute error of each customer's predicted orders.")
    orders_mae_baseline: float = desc(
        "The same for the naive prediction: as many orders as in the 90 days before."
    )
    revenue_mae: float = desc("Mean absolute error of each customer's predicted revenue.")
    revenue_mae_baseline: float = desc("The same for the naive prediction.")
    rank_correlation: float | None = desc(
        "Spearman correlation of predicted and actual revenue over customers: how well the "
        "forecast ranks who will buy most (1 is perfect)."
    )
    interval_lower_percentile: float | None = desc(
        "The percentile of a customer's predicted revenue where its interval starts, "
        "calibrated on the holdout (0.1 before calibration)."
    )
    interval_upper_percentile: float | None = desc(
        "The percentile where it ends (0.9 before calibration): the pair chosen so that at "
        "least 80% of buyers and of non-buyers fall inside, as narrow as that allows."
    )
    interval_coverage: float = desc(
        "Share of customers whose revenue fell in their 80% interval (measured on customers "
        "the calibration did not see)."
    )
    interval_coverage_buyers: float | None = desc(
        "That share among customers who did buy in the holdout."
    )
    interval_coverage_non_buyers: float | None = desc(
        "That share among customers who bought nothing in it."
    )
    plain_interval_coverage_buyers: float | None = desc(
        "Share of buyers inside the uncalibrated 10th-90th percentile interval."
    )
    plain_interval_coverage_non_buyers: float | None = desc(
        "Share of non-buyers inside the uncalibrated 10th-90th percentile interval."
    )
    interval_zero_width: float | None = desc(
        "Share of intervals that are [0, 0]: customers more likely than not to buy nothing."
    )
    computed_at: datetime = desc("When the run finished.")


@strawberry.type
class CustomerForecastAccuracyQueries:
    @strawberry.field(
        description="The customer forecasts' holdout check from the newest nightly run; null "
        "before the first run, or when the history was too short for one."
    )
    async def customer_forecast_accuracy(self, info: Info) -> CustomerForecastAccuracy | None:
        runs = await info.context.loaders.fetch_once(figures.newest_run(customer_forecast.RUN))
        if not runs:
            return None
        details: dict[str, Any] = runs[0]["details"] or {}
        checked = details.get("validation")
        if not checked:
            return None
        levels = checked.get("interval_levels")
        return CustomerForecastAccuracy(
            as_of=date.fromisoformat(details["as_of"]) if "as_of" in details else None,
            holdout_days=checked["holdout_days"],
            customers=checked["customers"],
            orders_mae=checked["orders_mae"],
            orders_mae_baseline=checked["orders_mae_baseline"],
            revenue_mae=checked["revenue_mae"],
            revenue_mae_baseline=checked["revenue_mae_baseline"],
            rank_correlation=checked.get("rank_correlation"),
            interval_lower_percentile=levels[0] if levels else None,
            interval_upper_percentile=levels[1] if levels else None,
            interval_coverage=checked["interval_coverage"],
            interval_coverage_buyers=checked.get("interval_coverage_buyers"),
            interval_coverage_non_buyers=checked.get("interval_coverage_non_buyers"),
            plain_interval_coverage_buyers=checked.get("plain_interval_coverage_buyers"),
            plain_interval_coverage_non_buyers=checked.get("plain_interval_coverage_non_buyers"),
            interval_zero_width=checked.get("interval_zero_width"),
            computed_at=runs[0]["finished_at"],
        )
