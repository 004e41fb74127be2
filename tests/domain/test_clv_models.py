"""BG/NBD and Gamma-Gamma recover the parameters of data simulated from them (fixed seeds).

Tolerances, stated once: BG/NBD r and α within 5 %, a and b within 15 %; Gamma-Gamma q
within 5 %, p and γ within 15 % (p and γ trade off against each other, as do a and b);
and every estimate within 4 of its own standard errors, so the reported errors are honest.
Over twelve seeds the worst errors were 2 %, 3 %, 8 %, 12 % and 12 %, 3 %, 13 %.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.analytics import bgnbd, clv, clv_interval, gamma_gamma
from domain.analytics.bgnbd import BgNbd
from domain.analytics.clv_interval import Customers, revenue_intervals
from domain.analytics.gamma_gamma import GammaGamma
from tests.domain.clv_simulation import (
    SimulatedCustomers,
    simulate_bgnbd,
    simulate_future,
    simulate_spend,
)

TRUE_BG = BgNbd(r=0.9, alpha=40.0, a=1.6, b=8.0)  # rates per day
TRUE_GG = GammaGamma(p=6.0, q=4.0, gamma=120.0)
BG_TOLERANCE = {"r": 0.05, "alpha": 0.05, "a": 0.15, "b": 0.15}
GG_TOLERANCE = {"p": 0.15, "q": 0.05, "gamma": 0.15}


def _customers(n: int, seed: int) -> tuple[np.ndarray, SimulatedCustomers]:
    rng = np.random.default_rng(seed)
    ages = rng.uniform(30, 730, n).round()
    return ages, simulate_bgnbd(TRUE_BG, ages, rng)


def test_bgnbd_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(7)
    ages = rng.uniform(30, 730, 40_000).round()
    customers = simulate_bgnbd(TRUE_BG, ages, rng)
    fitted, estimate = bgnbd.fit(customers.x.astype(float), customers.t_x, ages)
    assert estimate.converged
    for (name, value), se in zip(fitted.as_dict().items(), estimate.std_errors, strict=True):
        true = TRUE_BG.as_dict()[name]
        assert abs(value - true) <= BG_TOLERANCE[name] * true, (name, value)
        assert abs(value - true) <= 4 * se, (name, value, se)


def test_gamma_gamma_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(7)
    purchases = 1 + rng.poisson(3, 20_000)
    _, mean_spend = simulate_spend(TRUE_GG, purchases, rng)
    fitted, estimate = gamma_gamma.fit(purchases.astype(float), mean_spend)
    assert estimate.converged
    for (name, value), se in zip(fitted.as_dict().items(), estimate.std_errors, strict=True):
        true = TRUE_GG.as_dict()[name]
        assert abs(value - true) <= GG_TOLERANCE[name] * true, (name, value)
        assert abs(value - true) <= 4 * se, (name, value, se)


def test_expected_purchases_and_p_alive_match_what_simulated_customers_do() -> None:
    rng = np.random.default_rng(11)
    ages = rng.uniform(30, 730, 20_000).round()
    customers = simulate_bgnbd(TRUE_BG, ages, rng)
    future = simulate_future(customers, 90, rng)
    x = customers.x.astype(float)
    expected = bgnbd.expected_purchases(TRUE_BG, 90, x, customers.t_x, ages)
    alive = bgnbd.probability_alive(TRUE_BG, x, customers.t_x, ages)
    assert expected.sum() == pytest.approx(future.sum(), rel=0.04)
    assert alive.mean() == pytest.approx(customers.alive.mean(), abs=0.015)
    # Sorted by P(alive), the model should also rank who is alive: top decile vs bottom.
    order = np.argsort(alive)
    tenth = len(order) // 10
    assert (
        customers.alive[order[-tenth:]].mean() > 0.9 > 0.2 > customers.alive[order[:tenth]].mean()
    )


@pytest.mark.parametrize(("a", "b"), [(0.05, 0.9), (0.3, 2.0), (0.8, 8.0), (1.6, 8.0), (3.0, 8.0)])
def test_closed_form_expectation_equals_the_series(a: float, b: float) -> None:
    # Below a = 1 too, and with a + b + x − 1 < 0 (a = 0.05, b = 0.9, x = 0).
    params = BgNbd(r=0.9, alpha=40.0, a=a, b=b)
    x = np.array([0.0, 1, 3, 10, 40, 120])
    t_x = np.array([0.0, 20, 100, 300, 600, 700])
    ages = np.array([10.0, 50, 400, 365, 700, 720])
    closed = bgnbd.expected_purchases(params, 90, x, t_x, ages)
    series = bgnbd._expected_if_alive_by_series(params, 90, x, ages) * bgnbd.probability_alive(
        params, x, t_x, ages
    )
    np.testing.assert_allclose(closed, series, rtol=1e-8)


def test_expectation_exists_without_the_closed_form() -> None:
    params = BgNbd(r=0.9, alpha=40.0, a=1.0, b=8.0)  # a = 1: the closed form is 0/0
    expected = bgnbd.expected_purchases(
        params, 90, np.array([2.0]), np.array([50.0]), np.array([60.0])
    )
    assert 0 < expected[0] < (params.r + 2) / (params.alpha + 60) * 90


def _histories_and_next_revenue(n: int, seed: int) -> tuple[Customers, np.ndarray]:
    """Customers simulated from the true models, and what each spends in the next 90 days."""
    rng = np.random.default_rng(seed)
    ages = rng.uniform(30, 730, n).round()
    customers = simulate_bgnbd(TRUE_BG, ages, rng)
    spend_rate, mean_spend = simulate_spend(TRUE_GG, customers.x, rng)
    future = simulate_future(customers, 90, rng)
    revenue = np.where(future > 0, rng.gamma(TRUE_GG.p * np.maximum(future, 1), 1 / spend_rate), 0)
    history = Customers(
        np.arange(len(ages)), customers.x.astype(float), customers.t_x, ages, mean_spend
    )
    return history, revenue


def test_revenue_interval_tails_match_simulated_revenue() -> None:
    history, revenue = _histories_and_next_revenue(3000, seed=5)
    low, high = revenue_intervals(TRUE_BG, TRUE_GG, 90, history)
    # 10 % of outcomes lie above the 90th percentile; below the 10th there can be fewer,
    # because revenue has a mass at 0 (the interval then starts at 0 and includes it).
    assert 0.07 <= np.mean(revenue > high) <= 0.13
    assert np.mean(revenue < low) <= 0.1
    assert np.all(low <= high)


def test_a_customers_interval_does_not_depend_on_who_else_is_scored() -> None:
    ages, customers = _customers(50, seed=3)
    history = Customers(
        np.arange(100, 150), customers.x.astype(float), customers.t_x, ages, np.full(50, 80.0)
    )
    together = revenue_intervals(TRUE_BG, TRUE_GG, 90, history)
    alone = revenue_intervals(TRUE_BG, TRUE_GG, 90, history.part(slice(7, 8)))
    assert (together[0][7], together[1][7]) == (alone[0][0], alone[1][0])


_HISTORY = st.tuples(
    st.integers(min_value=0, max_value=60),  # repeat purchases
    st.floats(min_value=1, max_value=900),  # age in days
    st.floats(min_value=0, max_value=1),  # where in that age the last purchase fell
    st.floats(min_value=1, max_value=5000),  # mean order value
)


@settings(max_examples=60, deadline=None)
@given(
    a=st.sampled_from([0.4, 0.95, 1.6, 4.0]),  # both sides of a = 1: the series and closed form
    histories=st.lists(_HISTORY, max_size=6),
)
def test_any_customer_can_be_scored(
    a: float, histories: list[tuple[int, float, float, float]]
) -> None:
    """No purchase (nothing to score), one purchase, many: finite, non-negative figures."""
    models = clv.Models(BgNbd(r=0.9, alpha=40.0, a=a, b=8.0), TRUE_GG, {})
    x = np.array([float(h[0]) for h in histories])
    ages = np.array([h[1] for h in histories])
    customers = Customers(
        np.arange(len(histories), dtype=np.int64),
        x,
        np.where(x > 0, ages * np.array([h[2] for h in histories]), 0.0),
        ages,
        np.array([h[3] for h in histories]),
    )
    scores = clv.score(models, customers, 90)
    for values in (scores.expected_orders, scores.expected_revenue, scores.low, scores.high):
        assert values.shape == (len(histories),)
        assert np.all(np.isfinite(values)) and np.all(values >= 0)
    assert np.all((scores.probability_alive > 0) & (scores.probability_alive <= 1))
    assert np.all(scores.low <= scores.high)


def test_calibrated_intervals_cover_buyers_and_non_buyers_alike() -> None:
    history, revenue = _histories_and_next_revenue(4000, seed=8)
    grid = clv_interval.LOWER_LEVELS + clv_interval.UPPER_LEVELS
    quantiles = clv_interval.revenue_quantiles(TRUE_BG, TRUE_GG, 90, history, grid)
    first, second = slice(0, 2000), slice(2000, None)
    low_level, high_level = clv_interval.calibrate(quantiles[first], revenue[first])
    bought = revenue[second] > 0

    def coverage(levels: tuple[float, float]) -> tuple[float, float]:
        low = quantiles[second, grid.index(levels[0])]
        high = quantiles[second, grid.index(levels[1])]
        inside = (revenue[second] >= low) & (revenue[second] <= high)
        return float(np.mean(inside[bought])), float(np.mean(inside[~bought]))

    # Even with the true model, the plain 10th-90th percentile misses buyers: those likely
    # to buy nothing get [0, 0].
    plain_buyers, plain_non_buyers = coverage(clv_interval.PLAIN_LEVELS)
    assert plain_buyers < 0.75 < plain_non_buyers
    # Chosen on one half, the interval covers about 80 % of both groups in the other.
    buyers, non_buyers = coverage((low_level, high_level))
    assert high_level > clv_interval.PLAIN_LEVELS[1]
    assert 0.75 <= buyers <= 0.92 and non_buyers >= 0.75
    assert buyers > plain_buyers + 0.1


def test_calibration_takes_the_narrowest_pair_that_covers_both_groups() -> None:
    # Two customers: one bought 50 and one nothing; each row holds the percentiles at
    # LOWER_LEVELS then UPPER_LEVELS, rising with the level.
    assert clv_interval.LOWER_LEVELS[:6] == (0.01, 0.02, 0.05, 0.1, 0.15, 0.2)
    assert clv_interval.UPPER_LEVELS[:3] == (0.8, 0.85, 0.9)
    lows = np.array([0.0, 0.0, 0.0, 10.0, 20.0, 30.0] + [60.0] * 10)[
        : len(clv_interval.LOWER_LEVELS)
    ]
    highs = 40.0 + 5.0 * np.arange(len(clv_interval.UPPER_LEVELS)) ** 2
    row = np.concatenate([lows, highs])
    quantiles = np.vstack([row, np.zeros(len(row))])
    # The buyer needs an upper percentile reaching 50 (0.9, at 60) and a lower one
    # at most 50; the narrowest: the highest lower percentile still at most 50 (0.2: 30).
    assert clv_interval.calibrate(quantiles, np.array([50.0, 0.0])) == (0.2, 0.9)
    # Nobody reachable: the pair covering the worse group best (both cover none of the
    # buyers here, so the first).
    assert clv_interval.calibrate(quantiles, np.array([5000.0, 0.0])) == (0.01, 0.8)
