"""Maximum likelihood for models whose parameters are all positive.

The optimiser works on log-parameters, so positivity needs no constraint and the scales of
the parameters (a rate per day next to a shape near 1) do not fight each other. Standard
errors come from the inverse of a finite-difference Hessian of the negative log-likelihood
at the optimum (the observed information), carried back to the natural scale by the delta
method: se(θ) = θ · se(log θ).
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

NegLogLik = Callable[[np.ndarray], float]  # of the natural parameters, summed over customers
LOG_BOUND = 15.0


@dataclass(frozen=True)
class Estimate:
    values: tuple[float, ...]
    std_errors: tuple[float, ...]
    log_likelihood: float
    converged: bool


def fit_positive(
    negative_log_likelihood: NegLogLik, start: np.ndarray, observations: int
) -> Estimate:
    """Maximise the likelihood over positive parameters starting from `start`."""

    def objective(log_params: np.ndarray) -> float:
        # The mean keeps the objective's scale independent of the number of customers.
        value = negative_log_likelihood(np.exp(log_params)) / observations
        return value if np.isfinite(value) else 1e300

    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(start)
    result = minimize(objective, np.log(start), method="L-BFGS-B", bounds=bounds)
    log_params = result.x
    values = np.exp(log_params)
    hessian = _hessian(lambda p: negative_log_likelihood(np.exp(p)), log_params)
    try:
        covariance = np.linalg.inv(hessian)
        log_se = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    except np.linalg.LinAlgError:
        log_se = np.full(len(values), np.nan)
    return Estimate(
        values=tuple(float(v) for v in values),
        std_errors=tuple(float(v) for v in values * log_se),
        log_likelihood=-float(negative_log_likelihood(values)),
        converged=bool(result.success),
    )


def _hessian(
    function: Callable[[np.ndarray], float], at: np.ndarray, step: float = 1e-4
) -> np.ndarray:
    """Central finite differences of second order."""
    size = len(at)
    hessian = np.empty((size, size))
    for i in range(size):
        for j in range(i, size):
            shifted = []
            for di, dj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                point = at.copy()
                point[i] += di * step
                point[j] += dj * step
                shifted.append(function(point))
            value = (shifted[0] - shifted[1] - shifted[2] + shifted[3]) / (4 * step * step)
            hessian[i, j] = hessian[j, i] = value
    return hessian
