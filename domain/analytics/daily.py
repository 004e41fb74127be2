"""Days and daily series: forecasts work in whole UTC days, with every day present."""

from collections.abc import Iterable
from datetime import UTC, date, datetime

import numpy as np

# SQL for the UTC calendar day of an order: the same day whatever the session's time zone.
ORDER_DAY = "(o.ordered_at AT TIME ZONE 'UTC')::date"
# Orders that count as sales (drafts are not sales yet, cancelled ones no longer).
SALE_STATUSES = ("placed", "confirmed", "fulfilled")
SALES_STATUSES = "(" + ", ".join(f"'{status}'" for status in SALE_STATUSES) + ")"


def utc_today() -> date:
    return datetime.now(UTC).date()


def dense(values: Iterable[tuple[date, float]], first: date, last: date) -> np.ndarray:
    """One value per day from `first` to `last` inclusive; days without a value are 0."""
    series = np.zeros((last - first).days + 1)
    for day, value in values:
        if first <= day <= last:
            series[(day - first).days] += float(value)
    return series
