"""The 80% interval of a customer's revenue over the next days: Monte Carlo from the models.

For each customer we draw from the posterior of everything individual, given their
history and the fitted population parameters (which are held at their estimates; their
standard errors, stored with the run, are small next to the individual uncertainty):

1. alive or not, with P(alive);
2. purchase rate λ ~ Gamma(r + x, α + T) and dropout probability p ~ Beta(a, b + x);
3. purchases in the window N = min(M, G): M ~ Poisson(λt) purchases the rate allows,
   G ~ Geometric(p) the purchase after which they drop out;
4. spend rate ν ~ Gamma(q + p_gg·x, γ + x·m), and revenue ~ Gamma(p_gg·N, ν)
   (the sum of N purchases of Gamma(p_gg, ν) each).

The interval runs between two percentiles of those draws: a prediction interval for the
revenue that will actually happen, not a confidence interval for its mean (so it is wide,
and often starts at 0). Which two is calibrated on the holdout (`calibrate`): the 10th to
90th percentile of a model that were exactly right would cover 80 % of all customers, but
not 80 % of those who then buy (a customer likely to buy nothing gets [0, 0], and misses
whenever it does buy). Draws are seeded by customer id, so a customer gets the same
interval from the nightly run and from a recompute after an event with unchanged data.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from domain.analytics.bgnbd import BgNbd, probability_alive
from domain.analytics.gamma_gamma import GammaGamma

SAMPLES = 500
LEVEL = 0.8
SALT = 90_210
# The percentiles an 80 % interval spans before calibration.
PLAIN_LEVELS = (0.1, 0.9)
# The percentiles calibration chooses from.
LOWER_LEVELS = (0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
UPPER_LEVELS = (0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99)


@dataclass(frozen=True)
class Customers:
    """Histories of several customers (arrays of equal length)."""

    ids: np.ndarray
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    m: np.ndarray

    def part(self, rows: slice) -> "Customers":
        return Customers(self.ids[rows], self.x[rows], self.t_x[rows], self.T[rows], self.m[rows])


def revenue_intervals(
    bg: BgNbd,
    gg: GammaGamma,
    days: float,
    customers: Customers,
    levels: tuple[float, float] = PLAIN_LEVELS,
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each customer's revenue over the next `days` days: its percentiles
    at `levels`."""
    found = revenue_quantiles(bg, gg, days, customers, levels)
    return found[:, 0], found[:, 1]


def revenue_quantiles(
    bg: BgNbd,
    gg: GammaGamma,
    days: float,
    customers: Customers,
    levels: Sequence[float],
    samples: int = SAMPLES,
) -> np.ndarray:
    """Each customer's revenue percentiles at `levels` (a row per customer)."""
    alive = probability_alive(bg, customers.x, customers.t_x, customers.T)
    drawn = np.zeros((len(customers.ids), samples))
    for i, customer_id in enumerate(customers.ids):
        x, T, m = float(customers.x[i]), float(customers.T[i]), float(customers.m[i])
        rng = np.random.default_rng((SALT, int(customer_id)))
        is_alive = rng.random(samples) < alive[i]
        rate = rng.gamma(bg.r + x, 1 / (bg.alpha + T), samples)
        dropout = rng.beta(bg.a, bg.b + x, samples)
        allowed = rng.poisson(rate * days)
        until_dropout = rng.geometric(dropout)
        purchases = np.where(is_alive, np.minimum(allowed, until_dropout), 0)
        spend_rate = rng.gamma(gg.q + gg.p * x, 1 / (gg.gamma + x * m), samples)
        drawn[i] = rng.gamma(gg.p * purchases) / spend_rate
    # One sort for all customers (a quantile per customer costs more than its draws).
    return np.quantile(drawn, levels, axis=1).T.reshape(len(customers.ids), len(levels))


def calibrate(quantiles: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    """The narrowest pair of percentiles whose interval covers at least `LEVEL` of the
    customers who bought and of those who did not.

    `quantiles` holds each customer's percentiles at `LOWER_LEVELS + UPPER_LEVELS` (a row
    per customer), `actual` what each then bought. Width is the mean of high − low. When no
    pair covers both groups enough, the pair whose worse group is covered best.
    """
    bought = actual > 0
    lower = len(LOWER_LEVELS)
    best: tuple[tuple[int, float], tuple[float, float]] | None = None
    for i, low_level in enumerate(LOWER_LEVELS):
        for j, high_level in enumerate(UPPER_LEVELS):
            low, high = quantiles[:, i], quantiles[:, lower + j]
            inside = (actual >= low) & (actual <= high)
            worse = min(_share(inside[bought]), _share(inside[~bought]))
            # Enough coverage first, then narrower; short of it, more coverage first.
            rank = (0, float(np.mean(high - low))) if worse >= LEVEL else (1, -worse)
            if best is None or rank < best[0]:
                best = (rank, (low_level, high_level))
    return best[1] if best else PLAIN_LEVELS


def _share(flags: np.ndarray) -> float:
    """Share of true flags; an empty group is no constraint."""
    return float(np.mean(flags)) if len(flags) else 1.0
