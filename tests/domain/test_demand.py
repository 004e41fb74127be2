"""Demand method choice, the SBA rate, and the reorder rule."""

import numpy as np
import pytest

from domain.analytics import demand
from domain.analytics.demand import SBA_ALPHA, method_for, replenishment, sba_rate


def test_prophet_only_where_the_history_supports_it() -> None:
    dense_year = np.ones(400)
    assert method_for(dense_year) == demand.PROPHET
    assert method_for(np.ones(200)) == demand.SBA  # too short
    sparse = np.zeros(400)
    sparse[::5] = 3  # sells on a fifth of the days
    assert method_for(sparse) == demand.SBA


def test_sba_rate_of_regular_intermittent_demand() -> None:
    units = np.zeros(300)
    units[4::5] = 10  # 10 units every 5th day: 2 a day
    assert sba_rate(units) == pytest.approx((1 - SBA_ALPHA / 2) * 10 / 5)
    assert sba_rate(np.zeros(30)) == 0.0


def test_one_early_sale_does_not_make_a_best_seller() -> None:
    units = np.zeros(400)
    units[0] = 31
    assert sba_rate(units) == pytest.approx((1 - SBA_ALPHA / 2) * 31 / 400)


def test_no_suggestion_while_stock_covers_the_lead_time() -> None:
    plan = replenishment(
        daily=2.0,
        sd=0.0,
        available=100,
        on_order=0,
        lead_time_days=10,
        pack_size=1,
        reorder_point=0,
    )
    assert plan.reorder_level == 20
    assert plan.suggested == 0
    assert plan.days_of_cover == 50.0


def test_suggestion_reaches_reorder_level_plus_thirty_days_in_whole_packs() -> None:
    plan = replenishment(
        daily=2.0, sd=1.0, available=15, on_order=3, lead_time_days=9, pack_size=10, reorder_point=0
    )
    safety = demand.SERVICE_Z * 1.0 * 3  # z · σ · √9
    level = int(np.ceil(18 + safety))
    assert plan.reorder_level == level
    wanted = level + 60 - 18
    assert plan.suggested == int(np.ceil(wanted / 10) * 10)
    assert plan.suggested % 10 == 0


def test_the_items_own_reorder_point_is_a_floor() -> None:
    plan = replenishment(
        daily=0.0, sd=0.0, available=3, on_order=0, lead_time_days=14, pack_size=1, reorder_point=8
    )
    assert (plan.reorder_level, plan.suggested, plan.days_of_cover) == (8, 5, None)


def test_inactive_or_unsold_items_are_not_suggested() -> None:
    inactive = replenishment(
        daily=5.0,
        sd=1.0,
        available=0,
        on_order=0,
        lead_time_days=7,
        pack_size=1,
        reorder_point=10,
        active=False,
    )
    unsold = replenishment(
        daily=0.0, sd=0.0, available=0, on_order=0, lead_time_days=7, pack_size=1, reorder_point=0
    )
    assert inactive.suggested == unsold.suggested == 0
