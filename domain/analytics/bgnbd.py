"""BG/NBD: how many purchases a customer will make (Fader, Hardie & Lee 2005).

The story: while active, a customer buys as a Poisson process with rate λ; after each
repeat purchase they drop out for good with probability p. Across customers
λ ~ Gamma(r, α) and p ~ Beta(a, b). A customer is summarised by
x (repeat purchases), t_x (time of the last purchase) and T (time since the first one),
all measured from their first purchase. Time is in days here.

A known property of the model: a customer with no repeat purchase (x = 0) cannot have
dropped out, so P(alive) = 1 for them; their expected purchases still fall with T because
the posterior of λ is Gamma(r, α + T).
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, expit, gammaln, hyp2f1
from scipy.stats import nbinom

from domain.analytics.mle import Estimate, fit_positive


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


def log_likelihood(params: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Each customer's log-likelihood (equation 6 of the paper, in logs)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    base = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    still_active = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore"):
        dropped_out = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.asarray(base + np.logaddexp(still_active, dropped_out))


def fit(x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> tuple[BgNbd, Estimate]:
    """Maximum-likelihood estimates over all customers, with standard errors."""
    mean_rate = max(float(np.mean(x)), 0.1) / max(float(np.mean(T)), 1.0)
    start = np.array([1.0, 1.0 / mean_rate, 1.0, 1.0])

    def negative(values: np.ndarray) -> float:
        return -float(np.sum(log_likelihood(BgNbd(*values), x, t_x, T)))

    estimate = fit_positive(negative, start, observations=len(x))
    return BgNbd(*estimate.values), estimate


def _log_odds_dropped(params: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """log P(dropped out) − log P(alive); −inf without repeat purchases."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    with np.errstate(divide="ignore"):
        return np.where(
            x > 0,
            np.log(a)
            - np.log(np.maximum(b + x - 1, 1e-300))
            + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x)),
            -np.inf,
        )


def probability_alive(params: BgNbd, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    return np.asarray(expit(-_log_odds_dropped(params, x, t_x, T)))


def expected_purchases(
    params: BgNbd, t: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """Expected purchases in the next `t` days given each customer's history (equation 10).

    The closed form holds for every a ≠ 1, below 1 as well: there (a + b + x − 1)/(a − 1)
    and 1 − tail are both negative, and the Gauss series converges for the z < 1 it gets
    (it matches the summed series to 1e-12 for a from 0.05 up, tests/domain/test_clv_models.py;
    for 23,570 simulated customers with a = 0.7 it took 0.004 s, the series 1.03 s). Only
    a = 1 itself, where the form is 0/0, takes the series.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    alive = probability_alive(params, x, t_x, T)
    if a != 1:
        z = t / (alpha + T + t)
        tail = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(
            r + x, b + x, a + b + x - 1, z
        )
        if_alive = (a + b + x - 1) / (a - 1) * (1 - tail)
        if np.all(np.isfinite(if_alive)):
            return np.asarray(if_alive * alive)
    return np.asarray(_expected_if_alive_by_series(params, t, x, T) * alive)


def _expected_if_alive_by_series(
    params: BgNbd, t: float, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """E[N] = Σ_k P(N ≥ k) for an active customer, where N = min(M, G).

    M ~ NegBin(r + x, (α+T)/(α+T+t)) is how many purchases the rate allows in the window,
    G the purchase after which they drop out: P(G ≥ k) = B(a, b+x+k−1) / B(a, b+x).
    Valid for every a; the closed form needs a ≠ 1.
    """
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if x.size == 0:  # nobody to score (a customer without a purchase has no history)
        return np.zeros(0)
    success = (alpha + T) / (alpha + T + t)
    limit = int(np.max(nbinom.isf(1e-12, r + x, success))) + 2
    k = np.arange(1, limit + 1)[:, None]
    at_least_k = nbinom.sf(k - 1, r + x, success)
    survives = np.exp(betaln(a, b + x + k - 1) - betaln(a, b + x))
    return np.asarray(np.sum(at_least_k * survives, axis=0))
