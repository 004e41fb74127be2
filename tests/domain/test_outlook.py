"""The revenue outlook's arithmetic: booked and pipeline revenue are known, the forecast adds
only what it expects beyond them, and its interval adds up independent days."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from domain.analytics.outlook import Day, periods

FIRST = date(2026, 7, 10)
DAYS = [Day(FIRST + timedelta(days=i), Decimal(100), Decimal(80), Decimal(120)) for i in range(45)]
PIPELINE = {
    date(2026, 7, 5): Decimal(300),  # still open, its close day passed: the first period's
    date(2026, 7, 20): Decimal(1000),
    date(2026, 8, 15): Decimal(5000),
    date(2026, 8, 31): Decimal(7),  # after the horizon's last day (Aug 23): not in it
}


def test_months_add_the_forecast_beyond_what_is_known() -> None:
    july, august = periods(DAYS, Decimal(500), PIPELINE, "month")
    assert (july.starts_on, july.ends_on) == (FIRST, date(2026, 7, 31))
    assert (july.booked, july.pipeline) == (Decimal("500.00"), Decimal("1300.00"))
    # 22 forecast days of 100: 2,200 expected, of which 1,800 is known.
    assert (july.statistical, july.expected) == (Decimal("400.00"), Decimal("2200.00"))
    spread = (22**0.5) * 20 / 1.2815515655446004
    assert float(july.low) == pytest.approx(2200 - 1.2815515655446004 * spread, abs=0.01)
    assert float(july.high) == pytest.approx(2200 + 1.2815515655446004 * spread, abs=0.01)
    # August: the pipeline promises more than the forecast expects; it is a floor.
    assert (august.starts_on, august.ends_on) == (date(2026, 8, 1), date(2026, 8, 23))
    assert (august.booked, august.pipeline) == (Decimal("0.00"), Decimal("5000.00"))
    assert (august.statistical, august.expected) == (Decimal("0.00"), Decimal("5000.00"))
    assert august.low == august.high == Decimal("5000.00")


def test_weeks_start_on_monday_and_cover_every_day_once() -> None:
    weeks = periods(DAYS, Decimal(0), {}, "week")
    assert weeks[0].starts_on == FIRST and weeks[1].starts_on.isoweekday() == 1
    assert sum(w.expected for w in weeks) == Decimal("4500.00")
    assert all(w.booked == 0 and w.pipeline == 0 for w in weeks)
    assert periods([], Decimal(10), {}, "week") == []
