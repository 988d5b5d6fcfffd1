"""Expected improvement in log space, and its maximisation over candidates with gradient refinement.

EI itself underflows to exactly 0 far from the incumbent, which leaves the
optimiser with a flat surface; ``log_ei`` stays finite and informative there
(Ament et al., 2023, "Unexpected improvements to expected improvement").

>>> import numpy as np
>>> bool(np.all(np.isfinite(log_ei(np.array([0.0, 50.0]), np.array([1.0, 1.0]), best=0.0))))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr, logsumexp, ndtr

__all__ = ["log_h", "log_ei", "log_ei_with_grad", "log_mean_ei", "log_mean_ei_with_grad", "maximise"]

_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
_LOG_SQRT_PI_2 = 0.5 * math.log(math.pi / 2)
_ASYMPTOTIC = -1.0 / math.sqrt(np.finfo(float).eps)


def _log1mexp(a: np.ndarray) -> np.ndarray:
    """log(1 - exp(a)) for a < 0, accurate on both sides of -log 2."""
    with np.errstate(divide="ignore", invalid="ignore"):  # np.where evaluates both branches
        return np.where(a > -math.log(2.0), np.log(-np.expm1(np.minimum(a, -1e-300))), np.log1p(-np.exp(a)))


def log_h(z: np.ndarray) -> np.ndarray:
    """log(phi(z) + z Phi(z)), the log of EI for a unit-variance posterior, stable for very negative z."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu**2 - _LOG_SQRT_2PI) + zu * ndtr(zu))
    middle = ~upper & (z > _ASYMPTOTIC)
    zm = z[middle]
    out[middle] = -0.5 * zm**2 - _LOG_SQRT_2PI + _log1mexp(np.log(erfcx(-zm / math.sqrt(2)) * -zm) + _LOG_SQRT_PI_2)
    lower = ~upper & ~middle
    zl = z[lower]
    out[lower] = -0.5 * zl**2 - _LOG_SQRT_2PI - 2.0 * np.log(-zl)
    return out


def log_ei(mean: np.ndarray, std: np.ndarray, best: float) -> np.ndarray:
    """log E[max(best - f, 0)] for a Gaussian posterior (minimisation)."""
    return log_h((best - mean) / std) + np.log(std)


def log_ei_with_grad(predict_with_grad: Callable, X: np.ndarray, best: float) -> tuple[np.ndarray, np.ndarray]:
    """log-EI at the rows of ``X`` and its gradient, from a GP's ``predict_with_grad``."""
    mean, std, dmean, dstd = predict_with_grad(X)
    z = (best - mean) / std
    lh = log_h(z)
    dlh_dz = np.exp(log_ndtr(z) - lh)  # d log h / dz = Phi(z) / h(z)
    dz = (-dmean - z[:, None] * dstd) / std[:, None]
    return lh + np.log(std), dlh_dz[:, None] * dz + dstd / std[:, None]


def log_mean_ei(mean: np.ndarray, std: np.ndarray, best: np.ndarray) -> np.ndarray:
    """log of EI averaged over ``k`` fantasies: ``mean`` (m, k), one ``std`` (m,), one incumbent per fantasy (k,)."""
    values = log_h((best[None, :] - mean) / std[:, None]) + np.log(std)[:, None]
    return logsumexp(values, axis=1) - math.log(values.shape[1])


def log_mean_ei_with_grad(predict_with_grad: Callable, X: np.ndarray, best: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log_mean_ei`` at the rows of ``X`` and its gradient, from a GP conditioned on ``k`` fantasies."""
    mean, std, dmean, dstd = predict_with_grad(X)  # (m, k), (m,), (m, k, d), (m, d)
    z = (best[None, :] - mean) / std[:, None]
    lh = log_h(z)
    values = lh + np.log(std)[:, None]
    dlh_dz = np.exp(log_ndtr(z) - lh)
    dz = (-dmean - z[:, :, None] * dstd[:, None, :]) / std[:, None, None]
    grads = dlh_dz[:, :, None] * dz + (dstd / std[:, None])[:, None, :]
    total = logsumexp(values, axis=1)
    weights = np.exp(values - total[:, None])  # each fantasy's share of the mean EI
    return total - math.log(values.shape[1]), np.einsum("mk,mkd->md", weights, grads)


def maximise(
    acquisition: Callable[[np.ndarray], np.ndarray],
    acquisition_with_grad: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]],
    candidates: np.ndarray,
    free: Callable[[np.ndarray], np.ndarray],
    project: Callable[[np.ndarray], np.ndarray],
    *,
    n_refine: int = 5,
    maxiter: int = 100,
    bounds: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Score ``candidates``, refine the best ``n_refine`` with L-BFGS-B, return all points best-first.

    ``free(X)[i, j]`` says whether dimension ``j`` of row ``i`` may move
    continuously (one-hot blocks and inactive parameters stay put); refined
    points go through ``project`` (rounding, one-hot) and are scored again, so
    every returned point is valid and its value is what the GP says about it.
    ``bounds`` (lower, upper per dimension; default the unit cube) keeps the
    refinement inside a region, e.g. a trust region around the incumbent.
    """
    values = acquisition(candidates)
    top = np.argsort(-values, kind="stable")[: max(n_refine, 0)]
    x0 = candidates[top]
    mask = free(x0)
    if len(top) == 0 or not mask.any():
        order = np.argsort(-values, kind="stable")
        return candidates[order], values[order]
    k, d = x0.shape
    low, high = (0.0, 1.0) if bounds is None else (bounds[0][None, :], bounds[1][None, :])
    lower = np.where(mask, np.minimum(low, x0), x0).ravel()
    upper = np.where(mask, np.maximum(high, x0), x0).ravel()

    def negative(flat: np.ndarray) -> tuple[float, np.ndarray]:
        X = np.where(mask, flat.reshape(k, d), x0)
        value, grad = acquisition_with_grad(X)
        grad = np.where(mask, grad, 0.0)
        if not np.all(np.isfinite(grad)):
            grad = np.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
        return -float(np.sum(value)), -grad.ravel()

    res = minimize(
        negative, x0.ravel(), jac=True, method="L-BFGS-B", bounds=list(zip(lower, upper)), options={"maxiter": maxiter}
    )
    refined = project(np.where(mask, res.x.reshape(k, d), x0))
    points = np.vstack([candidates, refined])
    values = np.concatenate([values, acquisition(refined)])
    order = np.argsort(-values, kind="stable")
    return points[order], values[order]
