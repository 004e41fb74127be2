"""Demand: the classes, the intermittent-demand rates, the choice by pooled backtest, and the
reorder rule."""

from datetime import date

import numpy as np
import pytest

from domain.analytics import demand
from domain.analytics.demand import SBA_ALPHA, replenishment, sba_rate

START = date(2025, 1, 1)


def test_prophet_only_where_the_history_supports_it() -> None:
    dense_year = np.ones(400)
    assert demand.demand_class(dense_year) == demand.DENSE
    assert demand.demand_class(np.ones(200)) == demand.SPARSE  # too short
    sparse = np.zeros(400)
    sparse[::5] = 3  # sells on a fifth of the days
    assert demand.demand_class(sparse) == demand.SPARSE
    assert demand.PROPHET in demand.CANDIDATES[demand.DENSE]
    assert demand.PROPHET not in demand.CANDIDATES[demand.SPARSE]


def test_sba_rate_of_regular_intermittent_demand() -> None:
    units = np.zeros(300)
    units[4::5] = 10  # 10 units every 5th day: 2 a day
    assert sba_rate(units) == pytest.approx((1 - SBA_ALPHA / 2) * 10 / 5)
    assert sba_rate(np.zeros(30)) == 0.0


def test_one_early_sale_does_not_make_a_best_seller() -> None:
    units = np.zeros(400)
    units[0] = 31
    assert sba_rate(units) == pytest.approx((1 - SBA_ALPHA / 2) * 31 / 400)


def test_croston_and_tsb_on_regular_intermittent_demand() -> None:
    units = np.zeros(300)
    units[4::5] = 10  # 10 units every 5th day: 2 a day
    assert demand.croston_rate(units) == pytest.approx(2.0)
    # TSB's chance of a sale is smoothed day by day, so it swings over the cycle around 0.2.
    assert 1.5 < demand.tsb_rate(units) < 2.5
    assert demand.tsb_rate(np.zeros(30)) == 0.0


def test_tsb_lets_demand_that_stopped_fade_where_croston_waits() -> None:
    units = np.zeros(400)
    units[:200:5] = 10  # 2 a day for 200 days, then nothing for 200
    assert demand.tsb_rate(units) < 0.01
    assert demand.sba_rate(units) > 1.0  # no sale since: nothing updates it


def test_a_backtest_forecasts_each_origin_from_the_history_before_it() -> None:
    units = np.ones(200)
    units[-30:] = 5  # the last month sells five a day
    tested = demand.backtest_item(7, START, units, 3, prophet=False)
    # Origin 0 is cut 30 days before the end: it forecasts the last month without seeing it.
    assert tested.actual.tolist() == [150.0, 30.0, 30.0]
    assert tested.predicted[demand.NAIVE].tolist() == [30.0, 30.0, 30.0]
    assert tested.predicted[demand.MOVING_AVERAGE][0] == pytest.approx(30.0)
    assert demand.PROPHET not in tested.predicted
    # A history too short before a cut leaves that origin unscored.
    young = demand.backtest_item(8, START, np.ones(70), 3, prophet=False)
    assert young.actual[:1].tolist() == [30.0] and np.isnan(young.actual[1:]).all()


def test_the_lowest_pooled_squared_error_serves_the_class() -> None:
    def tested(item_id: int, actual: list[float], **predicted: list[float]) -> demand.ItemBacktest:
        return demand.ItemBacktest(
            item_id,
            {name: np.array(values) for name, values in predicted.items()},
            np.array(actual),
        )

    items = [
        # naive is closer on the first item, SBA much closer on the second: pooled, SBA wins
        tested(1, [10.0, 10.0], naive=[10.0, 11.0], sba=[12.0, 12.0]),
        tested(2, [100.0, 100.0], naive=[60.0, 140.0], sba=[100.0, 101.0]),
    ]
    method, rmse = demand.choose(items, slice(0, 2))
    assert method == demand.SBA
    assert rmse[demand.NAIVE] == pytest.approx(np.sqrt((0 + 1 + 1600 + 1600) / 4))
    # Only the origins asked for count, and an unscored origin counts for nobody.
    assert demand.choose(items, slice(0, 1))[0] == demand.SBA
    items.append(tested(3, [np.nan, 50.0], naive=[np.nan, 50.0], sba=[np.nan, 0.0]))
    assert demand.choose(items, slice(0, 1))[0] == demand.SBA
    # A tie goes to the simpler method (the earlier candidate).
    same = [tested(4, [5.0], naive=[4.0], sba=[6.0])]
    assert demand.choose(same, slice(0, 1))[0] == demand.NAIVE


def test_warehouses_share_an_items_demand_by_their_recent_sales() -> None:
    recent = np.zeros(200)
    recent[-90:] = 3
    old = np.zeros(200)
    old[:50] = 9  # sold well long ago, nothing in the last 90 days
    shares = demand.warehouse_shares({1: recent, 2: old}, [1, 2, 3])
    assert [(s.warehouse_id, s.share) for s in shares] == [(1, 1.0), (2, 0.0), (3, 0.0)]
    assert shares[0].sd == 0.0 and shares[2].sd == 0.0
    # Nothing sold lately anywhere: the whole history decides; never sold: evenly.
    quiet = demand.warehouse_shares({1: old, 2: old * 3}, [1, 2])
    assert [s.share for s in quiet] == pytest.approx([0.25, 0.75])
    assert [s.share for s in demand.warehouse_shares({}, [4, 5])] == [0.5, 0.5]


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
