"""Customers simulated from BG/NBD and Gamma-Gamma with known parameters (fixed seeds)."""

from dataclasses import dataclass

import numpy as np

from domain.analytics.bgnbd import BgNbd
from domain.analytics.gamma_gamma import GammaGamma


@dataclass(frozen=True)
class SimulatedCustomers:
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    alive: np.ndarray
    rate: np.ndarray
    dropout: np.ndarray


def simulate_bgnbd(params: BgNbd, T: np.ndarray, rng: np.random.Generator) -> SimulatedCustomers:
    """Histories over [0, T] of customers whose first purchase was at 0."""
    n = len(T)
    rate = rng.gamma(params.r, 1 / params.alpha, n)
    dropout = rng.beta(params.a, params.b, n)
    allowed = rng.poisson(rate * T)  # repeat purchases the rate allows
    until_dropout = rng.geometric(dropout)  # drops out right after this repeat purchase
    x = np.minimum(allowed, until_dropout)
    # The x-th of `allowed` uniform purchase times is T · Beta(x, allowed − x + 1).
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), allowed - x + 1), 0.0)
    return SimulatedCustomers(x, t_x, T, until_dropout > allowed, rate, dropout)


def simulate_future(
    customers: SimulatedCustomers, days: float, rng: np.random.Generator
) -> np.ndarray:
    """Purchases each customer makes in the next `days` days (dropout is memoryless)."""
    allowed = rng.poisson(customers.rate * days)
    until_dropout = rng.geometric(customers.dropout)
    return np.where(customers.alive, np.minimum(allowed, until_dropout), 0)


def simulate_spend(
    params: GammaGamma, purchases: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(spend rate ν, mean value of `purchases` purchases) per customer; mean 0 without any."""
    spend_rate = rng.gamma(params.q, 1 / params.gamma, len(purchases))
    n = np.maximum(purchases, 1)
    # The mean of n Gamma(p, ν) values is Gamma(p·n, n·ν).
    mean = rng.gamma(params.p * n, 1 / (spend_rate * n))
    return spend_rate, np.where(purchases > 0, mean, 0.0)
