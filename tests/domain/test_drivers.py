"""Campaigns as a driver of the revenue forecast: counting what was known at each origin, and
a forecast that finds a real campaign lift (and is served for it) on a synthetic history."""

from datetime import date, timedelta

import numpy as np

from domain.analytics import forecasters
from domain.analytics.backtest import BacktestSettings
from domain.analytics.drivers import CampaignReach
from domain.analytics.revenue_forecast import Series, forecast_series

START = date(2024, 12, 1)


def test_reach_counts_members_in_their_window_from_the_touch() -> None:
    reach = CampaignReach(added=np.array([0, 5, 5]), touched=np.array([2, 5, 8]), window=3)
    assert reach.known_at(20, 12).tolist() == [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]


def test_an_origin_sees_only_the_members_added_before_it() -> None:
    rng = np.random.default_rng(4)
    added = rng.integers(0, 300, size=500)
    touched = added + rng.integers(0, 20, size=500)
    reach = CampaignReach(added, touched)
    everything = reach.known_at(400, 400)
    for origin in (50, 120, 250):
        known = reach.known_at(origin, origin + 90)
        # The history before the origin is the same whoever counts it (a member added later
        # is touched later) ...
        assert np.array_equal(known[:origin], everything[:origin])
        # ... and the plans after it are those made before it: never more than today's.
        assert np.all(known[origin:] <= everything[origin : origin + 90])
        later = (added >= origin) & (touched < origin + 90)
        assert later.any() and not np.array_equal(known[origin:], everything[origin : origin + 90])


def test_reach_moves_with_the_first_day_and_says_whether_anyone_was_reached() -> None:
    reach = CampaignReach(added=np.array([10]), touched=np.array([12]), window=5)
    moved = reach.shifted(START, START + timedelta(days=10))
    assert moved.known_at(10, 5).tolist() == [0, 0, 1, 1, 1]
    assert not reach.reaches_before(12) and reach.reaches_before(13)
    assert not reach.reaches_before(5)  # added on day 10: unknown before it


def campaign_history(days: int, lift_per_member: float) -> tuple[np.ndarray, CampaignReach]:
    """Daily revenue with a weekly pattern, lifted by campaigns of 300 to 900 members every
    five weeks or so, each planned (its members added) ten weeks before it starts."""
    rng = np.random.default_rng(9)
    starts = np.arange(20, days + 90, 37)
    members = rng.integers(300, 900, size=len(starts))
    touched = np.repeat(starts, members)
    reach = CampaignReach(added=touched - 70, touched=touched)
    weekday = 1 + 0.3 * np.sin(2 * np.pi * np.arange(days + 90) / 7)
    lift = 1 + lift_per_member * reach.known_at(days + 90, days + 90)
    revenue = rng.poisson(400 * weekday * lift) * 25.0
    return revenue, reach


def test_a_real_campaign_lift_is_found_and_served_with_its_effect() -> None:
    revenue, reach = campaign_history(500, lift_per_member=0.0008)
    settings = BacktestSettings(horizon=60, window=240, step=30)
    served = forecast_series(Series("company", "", START, revenue[:500], reach), 60, settings)
    with_campaigns = served.scores[forecasters.PROPHET_CAMPAIGNS]
    without = served.scores[forecasters.PROPHET]
    assert with_campaigns.accuracy.mase is not None and without.accuracy.mase is not None
    assert with_campaigns.accuracy.mase < 0.8 * without.accuracy.mase
    assert served.model == forecasters.PROPHET_CAMPAIGNS
    # The effect it records is the lift put in (relative to a day of average reach, as
    # Prophet states it), within a fifth.
    average = 1 + 0.0008 * float(np.mean(reach.known_at(500, 500)))
    assert 0.8 < with_campaigns.effects["campaign_reach"] * average / 0.0008 < 1.2
    # The forecast follows the campaigns planned ahead: higher on days they reach people.
    future = reach.known_at(500, 560)[500:]
    busy, quiet = future > 300, future == 0
    assert busy.any() and quiet.any()
    assert served.forecast.mean[busy].mean() > 1.3 * served.forecast.mean[quiet].mean()


def test_without_campaigns_there_is_no_campaign_candidate() -> None:
    nobody = CampaignReach(added=np.array([400]), touched=np.array([400]))
    for reach in (None, nobody):
        made = forecasters.candidates(reach, 100)
        assert set(made) == set(forecasters.CANDIDATES)
