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

The interval is the 10th to 90th percentile of those draws: a prediction interval for the
revenue that will actually happen, not a confidence interval for its mean (so it is wide,
and often starts at 0). Draws are seeded by customer id, so a customer gets the same
interval from the nightly run and from a recompute after an event with unchanged data.
"""

from dataclasses import dataclass

import numpy as np

from domain.analytics.bgnbd import BgNbd, probability_alive
from domain.analytics.gamma_gamma import GammaGamma

SAMPLES = 500
LEVEL = 0.8
SALT = 90_210


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
    bg: BgNbd, gg: GammaGamma, days: float, customers: Customers, samples: int = SAMPLES
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of each customer's revenue over the next `days` days."""
    alive = probability_alive(bg, customers.x, customers.t_x, customers.T)
    low = np.zeros(len(customers.ids))
    high = np.zeros(len(customers.ids))
    quantiles = [(1 - LEVEL) / 2, (1 + LEVEL) / 2]
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
        revenue = rng.gamma(gg.p * purchases) / spend_rate
        low[i], high[i] = np.quantile(revenue, quantiles)
    return low, high
