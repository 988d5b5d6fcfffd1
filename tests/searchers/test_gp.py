"""The Gaussian process and log expected improvement behind ``method="bayes"``."""

import math

import numpy as np
import pytest
from scipy.optimize import approx_fprime
from scipy.stats import norm

from keras_hpo.searchers._acquisition import (
    log_ei,
    log_ei_with_grad,
    log_h,
    log_mean_ei,
    log_mean_ei_with_grad,
    maximise,
)
from keras_hpo.searchers._gp import GaussianProcess, _neg_log_posterior, default_theta, fit_gp


def _smooth(X):
    return np.sin(5 * X[:, 0]) + np.cos(3 * X[:, 1])


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(20, 2))
    return X, _smooth(X), fit_gp(X, _smooth(X), np.random.default_rng(1))


def test_interpolates_noiseless_data(fitted):
    X, y, gp = fitted
    mean, std = gp.predict(X)
    assert np.allclose(mean, y, atol=1e-3 * np.std(y))
    assert np.all(std < 1e-2 * np.std(y))
    assert gp.noise < 1e-3


def test_predictive_std_shrinks_near_observations(fitted):
    X, _, gp = fitted
    x = X[:1]
    stds = [gp.predict(x + [[step, 0.0]])[1][0] for step in (0.0, 0.01, 0.05, 0.2)]
    assert stds == sorted(stds) and stds[0] < 0.1 * stds[-1]
    far = np.array([[5.0, 5.0]])  # nothing observed anywhere near: back to the prior
    assert gp.predict(far)[1][0] == pytest.approx(math.sqrt(gp.variance) * gp.y_std, rel=1e-6)


def test_irrelevant_dimension_gets_a_long_length_scale():
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(30, 3))
    y = np.sin(6 * X[:, 0]) + 0.5 * X[:, 1]  # the third input does nothing
    gp = fit_gp(X, y, np.random.default_rng(0))
    short, medium, irrelevant = gp.length_scales
    assert irrelevant > 5 * short and irrelevant > 3 * medium and irrelevant > 3.0


def test_fitted_noise_follows_the_data_without_overfitting():
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(40, 2))
    noise_sd = 0.3
    y = _smooth(X) + rng.normal(0, noise_sd, size=40)
    gp = fit_gp(X, y, np.random.default_rng(0))
    fitted_sd = math.sqrt(gp.noise) * gp.y_std
    assert 0.3 * noise_sd < fitted_sd < 3 * noise_sd
    mean, _ = gp.predict(X)
    assert np.std(mean - y) > 0.5 * noise_sd  # it smooths rather than passing through every noisy point


def test_repeated_points_do_not_break_the_cholesky():
    X = np.repeat(np.array([[0.2, 0.3], [0.7, 0.1], [0.5, 0.9]]), 4, axis=0)
    y = np.array([1.0, 1.1, 0.9, 1.0, 2.0, 2.1, 1.9, 2.0, 0.0, 0.1, -0.1, 0.0])
    gp = fit_gp(X, y, np.random.default_rng(0))
    mean, std = gp.predict(np.array([[0.2, 0.3], [0.4, 0.4]]))
    assert np.all(np.isfinite(mean)) and np.all(np.isfinite(std)) and mean[0] == pytest.approx(1.0, abs=0.1)


def test_constant_outputs_fit_without_nan():
    X = np.random.default_rng(0).uniform(size=(6, 2))
    gp = fit_gp(X, np.full(6, 3.0), np.random.default_rng(0))
    mean, std = gp.predict(X)
    assert np.allclose(mean, 3.0) and np.all(np.isfinite(std))


def test_likelihood_gradient_matches_finite_differences():
    rng = np.random.default_rng(4)
    X = rng.uniform(size=(15, 3))
    y = _smooth(X)
    y = (y - y.mean()) / y.std()
    D2 = (X[:, None, :] - X[None, :, :]) ** 2
    theta = default_theta(3) + rng.normal(0, 0.3, size=5)
    _, grad = _neg_log_posterior(theta, X, y, D2)
    numeric = approx_fprime(theta, lambda t: _neg_log_posterior(t, X, y, D2)[0], 1e-6)
    assert np.allclose(grad, numeric, rtol=1e-4, atol=1e-4)


def test_prediction_gradients_match_finite_differences(fitted):
    _, _, gp = fitted
    Xq = np.random.default_rng(5).uniform(size=(3, 2))
    mean, std, dmean, dstd = gp.predict_with_grad(Xq)
    assert np.allclose((mean, std), gp.predict(Xq))
    for j in range(2):
        step = np.zeros(2)
        step[j] = 1e-6
        up, down = gp.predict(Xq + step), gp.predict(Xq - step)
        assert np.allclose(dmean[:, j], (up[0] - down[0]) / 2e-6, rtol=1e-4, atol=1e-6)
        assert np.allclose(dstd[:, j], (up[1] - down[1]) / 2e-6, rtol=1e-4, atol=1e-6)


def test_conditioning_on_fantasies_shrinks_uncertainty_there(fitted):
    _, _, gp = fitted
    x = np.array([[0.95, 0.05]])
    assert gp.condition_on(x, gp.predict(x)[0]).predict(x)[1][0] < 0.1 * gp.predict(x)[1][0]


def test_joint_draws_have_the_posterior_mean_and_covariance(fitted):
    _, _, gp = fitted
    P = np.array([[0.9, 0.1], [0.92, 0.12], [0.2, 0.9]])
    draws = gp.sample(P, 4000, np.random.default_rng(0))
    mean, std = gp.predict(P)
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 0.1 * std)
    assert np.allclose(draws.std(axis=0) / std, 1.0, atol=0.08)
    assert np.corrcoef(draws[:, 0], draws[:, 1])[0, 1] > 0.5  # close points move together
    assert abs(np.corrcoef(draws[:, 0], draws[:, 2])[0, 1]) < 0.3


def test_one_factorisation_serves_every_fantasy(fitted):
    _, _, gp = fitted
    P = np.array([[0.9, 0.1], [0.2, 0.9]])
    draws = gp.sample(P, 3, np.random.default_rng(1))
    many = gp.condition_on_draws(P, draws)
    Xq = np.random.default_rng(2).uniform(size=(5, 2))
    means, std = many.predict(Xq)
    for k in range(3):
        single_mean, single_std = gp.condition_on(P, draws[k]).predict(Xq)
        assert np.allclose(means[:, k], single_mean) and np.allclose(std, single_std)
    best = np.array([0.0, -0.5, 0.2])
    value, grad = log_mean_ei_with_grad(many.predict_with_grad, Xq, best)
    assert np.allclose(value, log_mean_ei(means, std, best))
    for j in range(2):
        step = np.zeros(2)
        step[j] = 1e-6
        numeric = (log_mean_ei(*many.predict(Xq + step), best) - log_mean_ei(*many.predict(Xq - step), best)) / 2e-6
        assert np.allclose(grad[:, j], numeric, rtol=1e-4, atol=1e-6)


# Expected improvement ------------------------------------------------------------------------------
def test_log_h_matches_the_closed_form_where_that_is_accurate():
    z = np.linspace(-5, 5, 41)
    assert np.allclose(log_h(z), np.log(norm.pdf(z) + z * norm.cdf(z)), rtol=1e-9)


@pytest.mark.parametrize("z", [-1e12, -1e6, -300.0, -40.0, -1.0, 0.0, 40.0])
def test_ei_is_non_negative_and_finite(z):
    value = log_h(np.array([z]))[0]
    assert math.isfinite(value)
    assert math.exp(value) >= 0.0


def test_log_ei_is_finite_and_ordered_far_from_the_incumbent():
    mean = np.array([0.0, 5.0, 50.0, 5000.0])
    values = log_ei(mean, np.full(4, 1.0), best=0.0)
    assert np.all(np.isfinite(values)) and np.all(np.diff(values) < 0)  # plain EI is 0.0 for the last two


def test_log_ei_gradient_matches_finite_differences(fitted):
    _, y, gp = fitted
    best = float(np.min(y))
    Xq = np.random.default_rng(6).uniform(size=(4, 2))
    _, grad = log_ei_with_grad(gp.predict_with_grad, Xq, best)
    for i, x in enumerate(Xq):
        numeric = approx_fprime(x, lambda u: log_ei(*gp.predict(u[None]), best)[0], 1e-7)
        assert np.allclose(grad[i], numeric, rtol=1e-3, atol=1e-5)


def test_maximise_refines_candidates_and_keeps_fixed_dimensions(fitted):
    X, y, gp = fitted
    best = float(np.min(y))
    candidates = np.random.default_rng(7).uniform(size=(64, 2))

    def acquisition(U):
        return log_ei(*gp.predict(U), best)

    def free(U):  # the second dimension stays put
        return np.column_stack([np.ones(len(U), bool), np.zeros(len(U), bool)])

    points, values = maximise(
        acquisition,
        lambda U: log_ei_with_grad(gp.predict_with_grad, U, best),
        candidates,
        free,
        lambda U: U,
        n_refine=3,
    )
    assert values[0] >= acquisition(candidates).max() - 1e-12
    assert np.all(np.diff(values) <= 0)
    assert points[0][1] in candidates[:, 1]


def test_gp_dataclass_round_trips_its_hyperparameters(fitted):
    X, y, gp = fitted
    again = GaussianProcess(X, y, gp.theta)
    assert np.allclose(again.predict(X[:3])[0], gp.predict(X[:3])[0])
