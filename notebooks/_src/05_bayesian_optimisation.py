# %% [markdown]
# # Bayesian optimisation, explained
#
# Grid and random search ignore what the earlier trials found. Bayesian optimisation, in the lecture's
# words, *analyses all the partial results obtained so far and chooses, probabilistically (highest
# expected improvement), which regions could give better results*. It rests on a **Gaussian process**
# (GP): a model that, for each input, gives a Gaussian distribution of values instead of a single value,
# and that *learns for each input dimension an appropriate scale to measure similarity*.
#
# This notebook draws each piece with keras_hpo's own GP (`keras_hpo.searchers._gp`, the one behind
# `method="bayes"`): the posterior in 1-D, expected improvement, a few steps of the loop, and the
# length scales as a measure of which hyperparameters matter.

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import keras_hpo as kh
from keras_hpo.searchers._acquisition import log_ei
from keras_hpo.searchers._gp import GaussianProcess, fit_gp

FAST = os.environ.get("KH_COURSE_FAST") == "1"
rng = np.random.default_rng(0)


def f(u):
    """A 1-D stand-in for 'validation loss against log10(learning rate)', rescaled to [0, 1]."""
    return np.sin(3 * np.pi * u) * 0.4 + (u - 0.6) ** 2 * 3 + 0.5


grid = np.linspace(0, 1, 400)[:, None]

# %% [markdown]
# ## 1. The GP posterior in one dimension
#
# Four trials so far (the dots). The GP's mean (line) passes through them; its uncertainty (band:
# mean ± 2 standard deviations) is small near them and grows away from them. `fit_gp` fits the length
# scale, the signal variance and the noise by maximising the marginal likelihood.

# %%
X = np.array([[0.05], [0.35], [0.55], [0.95]])
y = f(X[:, 0])
gp = fit_gp(X, y, rng)
mean, std = gp.predict(grid)

fig, ax = plt.subplots(figsize=(7, 3.2))
ax.plot(grid, f(grid[:, 0]), "k--", lw=1, label="true (unknown) function")
ax.plot(grid, mean, "C0", label="GP mean")
ax.fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, color="C0", alpha=0.2, label="mean ± 2 sd")
ax.plot(X, y, "o", color="C3", label="trials so far")
ax.set_xlabel("hyperparameter (scaled to [0, 1])")
ax.set_ylabel("validation loss")
ax.legend(fontsize=8)
print("fitted length scale:", gp.length_scales.round(3), " noise:", round(gp.noise, 6))

# %% [markdown]
# ## 2. Expected improvement
#
# Where to try next? Let $f^*$ be the best loss so far. At a point where the GP predicts a Gaussian
# with mean $\mu$ and standard deviation $\sigma$, the expected improvement is
#
# $$\mathrm{EI} = E[\max(f^* - f, 0)] = (f^* - \mu)\,\Phi(z) + \sigma\,\varphi(z), \qquad z = (f^* - \mu)/\sigma.$$
#
# It is large where the mean is low (*exploitation*) **or** the uncertainty is high (*exploration*).
# keras_hpo computes it in log space (`log_ei`), which stays accurate where EI is tiny.

# %%
best = y.min()
ei = np.exp(log_ei(mean, std, best))
fig, axes = plt.subplots(2, 1, figsize=(7, 4.5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
axes[0].plot(grid, mean, "C0")
axes[0].fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, color="C0", alpha=0.2)
axes[0].plot(X, y, "o", color="C3")
axes[0].axhline(best, color="C3", ls=":", label="best so far $f^*$")
axes[0].legend(fontsize=8)
axes[1].plot(grid, ei, "C2")
axes[1].axvline(grid[np.argmax(ei), 0], color="C2", ls="--", label="next trial")
axes[1].set_ylabel("EI")
axes[1].set_xlabel("hyperparameter")
axes[1].legend(fontsize=8);

# %% [markdown]
# ## 3. The loop
#
# Try the point of highest EI, add the result, refit, repeat. A few steps: the search first explores
# where it knows little, then closes in on the minimum.

# %%
steps = 4 if FAST else 6
fig, axes = plt.subplots(2, steps // 2, figsize=(12, 5), sharex=True, sharey=True)
Xs, ys = X.copy(), y.copy()
for ax in axes.ravel():
    gp = fit_gp(Xs, ys, rng)
    mean, std = gp.predict(grid)
    ei = np.exp(log_ei(mean, std, ys.min()))
    nxt = grid[np.argmax(ei)]
    ax.plot(grid, f(grid[:, 0]), "k--", lw=1)
    ax.plot(grid, mean, "C0")
    ax.fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, color="C0", alpha=0.2)
    ax.plot(Xs, ys, "o", color="C3", ms=4)
    ax.plot(grid, ys.min() - 0.3 + ei / max(ei.max(), 1e-12) * 0.3, "C2", lw=1)   # EI, rescaled, at the bottom
    ax.axvline(nxt[0], color="C2", ls="--", lw=1)
    ax.set_title(f"{len(Xs)} trials, best {ys.min():.3f}", fontsize=9)
    Xs, ys = np.vstack([Xs, nxt]), np.append(ys, f(nxt[0]))
fig.tight_layout()

# %% [markdown]
# ## 4. Length scales: how far "similar" reaches
#
# The length scale says how far apart two settings can be and still give similar results. The same
# three points under a GP with a short and with a long length scale (set by hand here; `fit_gp` learns
# it from the data):

# %%
X3 = np.array([[0.2], [0.5], [0.8]])
y3 = np.array([1.0, 0.4, 0.9])
fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), sharey=True)
for ax, length in zip(axes, [0.05, 0.6]):
    gp = GaussianProcess(X3, y3, np.log([length, 1.0, 1e-6]))   # theta = log(length scale, variance, noise)
    mean, std = gp.predict(grid)
    ax.plot(grid, mean, "C0")
    ax.fill_between(grid[:, 0], mean - 2 * std, mean + 2 * std, color="C0", alpha=0.2)
    ax.plot(X3, y3, "o", color="C3")
    ax.set_title(f"length scale {length}")

# %% [markdown]
# With several hyperparameters the GP learns **one length scale per dimension** (ARD). A hyperparameter
# whose changes barely move the loss gets a long length scale; one that matters gets a short one. So
# the fitted length scales are a ranking of relevance. Here only `learning_rate` and `optimizer` matter
# (the objective stands in for a validation loss):

# %%
def objective(p):
    return (np.log10(p["learning_rate"]) + 3) ** 2 + 0.8 * (p["optimizer"] != "adam") + 0.01 * p["dropout"]


space = {"learning_rate": kh.Float(1e-5, 1e-1, log=True), "optimizer": ["adam", "sgd", "rmsprop"],
         "units": kh.Int(16, 512, log=True), "dropout": kh.Float(0.0, 0.5)}
bayes = kh.tune(objective, space, method=kh.searchers.get("bayes", n_initial=8, n_candidates=512),
                max_trials=20 if FAST else 30,
                seed=0, progress=False)
scales = pd.Series(bayes.length_scales()).sort_values()
fig, axes = plt.subplots(1, 2, figsize=(11, 3))
scales.plot.barh(ax=axes[0], title="learned length scales (short = matters)")
bayes.plot_importance(ax=axes[1])
fig.tight_layout()

# %% [markdown]
# ## 5. Does it pay? Bayes against random on the same budget
#
# The best loss found so far against the number of trials, median over seeds (a plain objective, so it
# runs in seconds; on a network each trial would be a training run).

# %%
budget, seeds = (15, 2) if FAST else (30, 5)
curves = {}
for method in ["random", "bayes"]:
    runs = []
    for seed in range(10, 10 + seeds):
        searcher = kh.searchers.get(method, **({"n_candidates": 512} if method == "bayes" else {}))
        r = kh.tune(objective, space, method=searcher, max_trials=budget, seed=seed, progress=False)
        runs.append(np.minimum.accumulate([t.value for t in r.records]))
    curves[method] = np.median(runs, axis=0)
fig, ax = plt.subplots(figsize=(6, 3))
for method, curve in curves.items():
    ax.plot(range(1, budget + 1), curve, label=method)
ax.set_yscale("log")
ax.set_xlabel("trials")
ax.set_ylabel("best loss so far (median)")
ax.legend();

# %% [markdown]
# ## 6. On a Keras network
#
# The same call tunes a real network: `method="bayes"` (options through `kh.searchers.get("bayes", ...)`).

# %%
from sklearn.datasets import load_digits

x, yd = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32")
if FAST:
    x, yd = x[:700], yd[:700]
net = kh.tune(kh.keras.mlp(64, 10), {"units": kh.Int(8, 128, log=True), "learning_rate": kh.Float(1e-4, 1e-1, log=True),
                                     "epochs": 3 if FAST else 6},
              data=(x, yd), method=kh.searchers.get("bayes", n_initial=3), max_trials=5 if FAST else 12,
              metric="val_accuracy", seed=0, progress=False)
print(net.summary())
net.length_scales()

# %% [markdown]
# ## Takeaways
#
# - A GP turns the trials so far into a mean and an uncertainty everywhere.
# - Expected improvement trades off trying near the best (low mean) against trying the unknown (high sd).
# - The learned length scales say which hyperparameters matter (`result.length_scales()`,
#   `result.plot_importance()`).
# - Each suggestion costs a GP fit: negligible against training a network, not against a cheap function.
