"""Gamma-Gamma: how much a customer spends per purchase (Fader, Hardie & Lee 2005, "RFM and CLV").

Each purchase of a customer is worth z ~ Gamma(p, ν) (rate ν); across customers
ν ~ Gamma(q, γ). Fitted on customers with at least one repeat purchase, from x (their
repeat purchases) and m (the mean value of those purchases). The model assumes spend does
not depend on how often a customer buys.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from domain.analytics.mle import Estimate, fit_positive


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}


def log_likelihood(params: GammaGamma, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Log density of each customer's mean spend m over x purchases."""
    p, q, gamma = params.p, params.q, params.gamma
    px = p * x
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(gamma + m * x)
    )


def fit(x: np.ndarray, m: np.ndarray) -> tuple[GammaGamma, Estimate]:
    """Maximum-likelihood estimates from customers with x ≥ 1 and m > 0."""
    usable = (x >= 1) & (m > 0)
    x, m = x[usable].astype(float), m[usable].astype(float)
    start = np.array([1.0, 2.0, float(np.mean(m))])

    def negative(values: np.ndarray) -> float:
        return -float(np.sum(log_likelihood(GammaGamma(*values), x, m)))

    estimate = fit_positive(negative, start, observations=len(x))
    return GammaGamma(*estimate.values), estimate


def expected_spend(params: GammaGamma, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Expected value of a customer's next purchase: a weighted average of the population
    mean pγ/(q−1) and the customer's own mean, weighted by their number of purchases.

    With q ≤ 1 the population mean is infinite; customers without repeat purchases then
    fall back to their own (first-purchase) mean rather than to infinity.
    """
    p, q, gamma = params.p, params.q, params.gamma
    denominator = p * x + q - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(denominator > 0, p * (gamma + m * x) / denominator, m))
