"""A small Gaussian-process regressor for Bayesian optimisation on the unit cube (numpy/scipy only).

Matérn 5/2 kernel with one length scale per input dimension (ARD), a signal
variance and a noise variance, all fitted by maximising the log marginal
likelihood plus weak priors (multi-start L-BFGS-B with analytic gradients).
Outputs are standardised before fitting, and the Cholesky factorisation adds
jitter until it succeeds, so the fit never collapses or produces NaN.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> X = rng.uniform(size=(12, 2)); y = np.sin(6 * X[:, 0])
>>> gp = fit_gp(X, y, rng)
>>> mean, std = gp.predict(X)
>>> bool(np.allclose(mean, y, atol=1e-2))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve, cholesky, solve_triangular
from scipy.optimize import minimize

__all__ = ["GaussianProcess", "fit_gp", "matern52"]

_SQRT5 = math.sqrt(5.0)
# Bounds of the log hyperparameters, in units where inputs live in [0, 1] and outputs are standardised.
_LOG_LS_BOUNDS = (math.log(1e-2), math.log(1e2))
_LOG_VAR_BOUNDS = (math.log(5e-2), math.log(20.0))
_LOG_NOISE_BOUNDS = (math.log(1e-6), math.log(1.0))
#: mean and sd of the normal prior on log length scales: median 1 (the width of the cube), a factor e either way
_LOG_LS_PRIOR = (0.0, 1.0)


def matern52(X1: np.ndarray, X2: np.ndarray, length_scales: np.ndarray, variance: float) -> np.ndarray:
    """The Matérn 5/2 covariance matrix between the rows of ``X1`` and ``X2``."""
    A, B = X1 / length_scales, X2 / length_scales
    r2 = np.sum(A**2, 1)[:, None] + np.sum(B**2, 1)[None, :] - 2.0 * A @ B.T
    r = np.sqrt(np.maximum(r2, 0.0))
    return variance * (1.0 + _SQRT5 * r + 5.0 / 3.0 * r**2) * np.exp(-_SQRT5 * r)


def _cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor of ``K``, adding growing jitter to the diagonal until it succeeds."""
    jitter = 0.0
    scale = float(np.mean(np.diag(K)))
    for _ in range(8):
        try:
            return cholesky(K + jitter * np.eye(len(K)), lower=True, check_finite=False)
        except np.linalg.LinAlgError:
            jitter = scale * (1e-9 if jitter == 0.0 else jitter / scale * 10.0)
    raise np.linalg.LinAlgError("covariance matrix is not positive definite even with jitter")


def _log_prior(theta: np.ndarray, d: int) -> tuple[float, np.ndarray]:
    """Weak priors on the log hyperparameters and their gradient.

    Length scales: log-normal around the width of the cube; it keeps a parameter
    whose effect is small but real (a dropout next to a learning rate) from being
    declared irrelevant too early, while a truly irrelevant one still drifts long.
    Signal variance: log-normal around 1 (outputs are standardised). Noise:
    Gamma(1.1, 30), which prefers small noise but lets real noise in.
    """
    log_ls, log_var, log_noise = theta[:d], theta[d], theta[d + 1]
    mu_ls, sd_ls = _LOG_LS_PRIOR
    noise = math.exp(log_noise)
    value = (
        -0.5 * np.sum(((log_ls - mu_ls) / sd_ls) ** 2)
        - 0.5 * (log_var / 1.5) ** 2
        + 0.1 * log_noise
        - 30.0 * noise  # Gamma(1.1, 30) density of the noise variance
    )
    grad = np.empty_like(theta)
    grad[:d] = -(log_ls - mu_ls) / sd_ls**2
    grad[d] = -log_var / 1.5**2
    grad[d + 1] = 0.1 - 30.0 * noise
    return float(value), grad


def _neg_log_posterior(theta: np.ndarray, X: np.ndarray, y: np.ndarray, D2: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood minus log prior, with its gradient in the log hyperparameters."""
    n, d = X.shape
    ls, var, noise = np.exp(theta[:d]), math.exp(theta[d]), math.exp(theta[d + 1])
    S = D2 / ls**2  # squared scaled differences per dimension, (n, n, d)
    r = np.sqrt(np.sum(S, axis=2))
    e = np.exp(-_SQRT5 * r)
    Kf = var * (1.0 + _SQRT5 * r + 5.0 / 3.0 * r**2) * e
    try:
        L = _cholesky(Kf + noise * np.eye(n))
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = cho_solve((L, True), y, check_finite=False)
    Kinv = cho_solve((L, True), np.eye(n), check_finite=False)
    nll = 0.5 * y @ alpha + np.sum(np.log(np.diag(L))) + 0.5 * n * math.log(2 * math.pi)
    W = np.outer(alpha, alpha) - Kinv  # d(log-likelihood)/dK = W / 2
    G = var * 5.0 / 3.0 * (1.0 + _SQRT5 * r) * e  # dK/dlog(l_i) = G * S_i
    grad = np.empty_like(theta)
    grad[:d] = -0.5 * np.einsum("ab,abi->i", W * G, S)
    grad[d] = -0.5 * np.sum(W * Kf)
    grad[d + 1] = -0.5 * noise * np.trace(W)
    prior, prior_grad = _log_prior(theta, d)
    return float(nll - prior), grad - prior_grad


@dataclass
class GaussianProcess:
    """A fitted GP: training data, log hyperparameters ``theta`` = (log length scales, log variance, log noise)."""

    X: np.ndarray
    y: np.ndarray  # original units
    theta: np.ndarray

    def __post_init__(self) -> None:
        self.X = np.asarray(self.X, dtype=float)
        self.y = np.asarray(self.y, dtype=float)
        self.theta = np.asarray(self.theta, dtype=float)
        self.y_mean, self.y_std = _standardisation(self.y)
        d = self.X.shape[1]
        self.length_scales = np.exp(self.theta[:d])
        self.variance = math.exp(self.theta[d])
        self.noise = math.exp(self.theta[d + 1])
        K = matern52(self.X, self.X, self.length_scales, self.variance) + self.noise * np.eye(len(self.X))
        self._L = _cholesky(K)
        self._alpha = cho_solve((self._L, True), (self.y - self.y_mean) / self.y_std, check_finite=False)

    def condition_on(self, X_new: np.ndarray, y_new: np.ndarray, *, noisy: bool = True) -> GaussianProcess:
        """The same hyperparameters and standardisation, with extra (e.g. fantasised) observations.

        ``noisy=False`` takes ``y_new`` as values of the latent function itself (a believed
        prediction has no observation noise), so the posterior variance there drops to zero.
        """
        gp = GaussianProcess.__new__(GaussianProcess)
        gp.X = np.vstack([self.X, X_new])
        gp.y = np.concatenate([self.y, y_new])
        gp.theta, gp.y_mean, gp.y_std = self.theta, self.y_mean, self.y_std
        gp.length_scales, gp.variance, gp.noise = self.length_scales, self.variance, self.noise
        diagonal = np.full(len(gp.X), gp.noise)
        if not noisy:
            diagonal[len(self.X):] = 1e-9 * gp.variance
        K = matern52(gp.X, gp.X, gp.length_scales, gp.variance) + np.diag(diagonal)
        gp._L = _cholesky(K)
        gp._alpha = cho_solve((gp._L, True), (gp.y - gp.y_mean) / gp.y_std, check_finite=False)
        return gp

    def predict(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent function at the rows of ``Xq`` (original units)."""
        Ks = matern52(np.atleast_2d(Xq), self.X, self.length_scales, self.variance)
        mean = Ks @ self._alpha
        v = solve_triangular(self._L, Ks.T, lower=True, check_finite=False)
        var = np.maximum(self.variance - np.sum(v**2, axis=0), 1e-12 * self.variance)
        return mean * self.y_std + self.y_mean, np.sqrt(var) * self.y_std

    def condition_on_draws(self, X_new: np.ndarray, Y_new: np.ndarray) -> GaussianProcess:
        """The GP given ``k`` alternative outcomes ``Y_new`` (k, p) at the points ``X_new`` (p, d).

        The posterior covariance does not depend on the outcomes, so one factorisation
        serves every draw: ``predict`` then returns means of shape (m, k) next to one
        standard deviation (m,), and ``predict_with_grad`` mean gradients (m, k, d).
        """
        Y_new = np.atleast_2d(Y_new)
        gp = self.condition_on(X_new, Y_new[0])
        Y = np.concatenate([np.repeat(self.y[None, :], len(Y_new), axis=0), Y_new], axis=1)
        gp._alpha = cho_solve((gp._L, True), ((Y - gp.y_mean) / gp.y_std).T, check_finite=False)
        return gp

    def sample(self, Xq: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
        """``size`` joint draws of the latent function at the rows of ``Xq`` (original units), shape (size, len(Xq))."""
        Xq = np.atleast_2d(Xq)
        Ks = matern52(Xq, self.X, self.length_scales, self.variance)
        v = solve_triangular(self._L, Ks.T, lower=True, check_finite=False)
        mean = Ks @ self._alpha
        cov = matern52(Xq, Xq, self.length_scales, self.variance) - v.T @ v
        cov = 0.5 * (cov + cov.T) + 1e-9 * self.variance * np.eye(len(Xq))
        w, U = np.linalg.eigh(cov)  # robust to a nearly singular covariance (pending points close together)
        root = U * np.sqrt(np.maximum(w, 0.0))
        z = rng.standard_normal((size, len(Xq)))
        return (mean + z @ root.T) * self.y_std + self.y_mean

    def predict_with_grad(self, Xq: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Mean, standard deviation and their gradients with respect to the rows of ``Xq``."""
        Xq = np.atleast_2d(Xq)
        diff = (Xq[:, None, :] - self.X[None, :, :]) / self.length_scales**2  # (m, n, d)
        r = np.sqrt(np.maximum(np.einsum("mnd,mnd->mn", diff, Xq[:, None, :] - self.X[None, :, :]), 0.0))
        e = np.exp(-_SQRT5 * r)
        Ks = self.variance * (1.0 + _SQRT5 * r + 5.0 / 3.0 * r**2) * e
        dKs = -(self.variance * 5.0 / 3.0 * (1.0 + _SQRT5 * r) * e)[:, :, None] * diff  # dk(x, X_n)/dx
        mean = Ks @ self._alpha
        dmean = np.einsum("mnd,n...->m...d", dKs, self._alpha)  # (m, d), or (m, k, d) for k fantasies
        Kinv_ks = cho_solve((self._L, True), Ks.T, check_finite=False)  # (n, m)
        var = self.variance - np.einsum("mn,nm->m", Ks, Kinv_ks)
        dvar = -2.0 * np.einsum("mnd,nm->md", dKs, Kinv_ks)
        floor = 1e-12 * self.variance
        dvar[var <= floor] = 0.0
        std = np.sqrt(np.maximum(var, floor))
        dstd = dvar / (2.0 * std[:, None])
        return (mean * self.y_std + self.y_mean, std * self.y_std, dmean * self.y_std, dstd * self.y_std)


def _standardisation(y: np.ndarray) -> tuple[float, float]:
    std = float(np.std(y))
    return float(np.mean(y)), (std if std > 1e-12 * max(1.0, abs(float(np.mean(y)))) else 1.0)


def default_theta(d: int) -> np.ndarray:
    """The prior's mode-ish starting point: moderate length scales, unit variance, small noise."""
    return np.concatenate([np.full(d, _LOG_LS_PRIOR[0] - 0.5), [0.0, math.log(1e-3)]])


def _bounds(d: int) -> list[tuple[float, float]]:
    return [_LOG_LS_BOUNDS] * d + [_LOG_VAR_BOUNDS, _LOG_NOISE_BOUNDS]


def fit_gp(
    X: np.ndarray,
    y: np.ndarray,
    rng: np.random.Generator,
    *,
    start: np.ndarray | None = None,
    n_starts: int = 3,
    maxiter: int = 200,
) -> GaussianProcess:
    """Fit the hyperparameters by multi-start L-BFGS-B on the log posterior; ``start`` warm-starts the first run."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    n, d = X.shape
    mean, std = _standardisation(y)
    ys = (y - mean) / std
    D2 = (X[:, None, :] - X[None, :, :]) ** 2
    bounds = _bounds(d)
    lo, hi = np.array(bounds).T
    starts = [np.clip(start, lo, hi)] if start is not None and len(start) == d + 2 else []
    starts.append(default_theta(d))
    while len(starts) < max(n_starts, 1):
        theta = default_theta(d)
        theta[:d] += rng.normal(0.0, 1.0, size=d)
        theta[d] += rng.normal(0.0, 0.5)
        theta[d + 1] = rng.uniform(math.log(1e-6), math.log(1e-1))
        starts.append(np.clip(theta, lo, hi))
    best_theta, best_value = starts[0], math.inf
    for theta0 in starts[: max(n_starts, 1)]:
        res = minimize(
            _neg_log_posterior,
            theta0,
            args=(X, ys, D2),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": maxiter},
        )
        if np.all(np.isfinite(res.x)) and res.fun < best_value:
            best_theta, best_value = res.x, float(res.fun)
    return GaussianProcess(X, y, best_theta)
