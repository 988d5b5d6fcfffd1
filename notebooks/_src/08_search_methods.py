# %% [markdown]
# # Every search method, one call
#
# The lecture this project grew from lists the classic ways to pick hyperparameters: trial and error,
# grid search, random search, Bayesian optimisation, metaheuristics (evolutionary, ant colony,
# simulated annealing, tabu search, particle swarm) and best-arm identification. In keras_hpo each is
# a `method=` name behind the same `kh.tune` call.
#
# To compare them fairly and quickly we use a *stand-in* for a network's validation loss with a known
# optimum (`keras_hpo.testing.objectives.MIXED`: optimizer, log learning rate, log units, activation,
# dropout). Swap in your Keras model function and `data=` for the real thing.

# %%
import os

import numpy as np
import pandas as pd

import keras_hpo as kh
from keras_hpo.testing.objectives import MIXED

FAST = os.environ.get("KH_COURSE_FAST") == "1"       # the course's tests set this to run quickly

MIXED.space

# %% [markdown]
# ## Trial and error, grid, random

# %%
manual = kh.searchers.get("manual", trials=[
    {"optimizer": "adam", "learning_rate": 1e-3, "units": 128, "activation": "relu", "dropout": 0.2},
    {"optimizer": "sgd", "learning_rate": 1e-1, "units": 64, "activation": "tanh", "dropout": 0.0},
])
kh.tune(MIXED, MIXED.space, method=manual, progress=False).trials

# %%
grid_space = {"optimizer": ["sgd", "adam"], "learning_rate": [1e-4, 1e-3, 1e-2, 1e-1],
              "units": [32, 128, 512], "activation": ["relu", "tanh"], "dropout": [0.0, 0.2]}
grid = kh.tune(MIXED, grid_space, method="grid", progress=False)
len(grid.records), grid.best_value

# %% [markdown]
# ## All the methods on the same budget
#
# Each method gets 30 evaluations and two seeds (one with `KH_COURSE_FAST=1`); the table shows the median best value found
# (the optimum is 0). Methods whose optional library is not installed are skipped.

# %%
methods = ["auto", "random", "tpe", "bayes", "cmaes", "genetic", "ant_colony", "annealing", "tabu", "pso"]
rows = []
for method in methods:
    if method not in kh.searchers.available():
        continue
    bests = []
    for seed in range(1 if FAST else 2):
        try:
            bests.append(kh.tune(MIXED, MIXED.space, method=method, max_trials=30, seed=seed, progress=False).best_value)
        except ImportError as exc:
            print(method, "skipped:", exc)
            break
    if bests:
        rows.append({"method": method, "median best": np.median(bests), "worst seed": max(bests)})
pd.DataFrame(rows).sort_values("median best")

# %% [markdown]
# ## Not sure which? `method="auto"`, the default
#
# Leave `method=` out and `kh.tune` chooses from what it knows before the run: a finite space that fits in
# `max_trials` is enumerated (grid), a few dozen trials of mixed or continuous parameters go to Bayesian
# optimisation (`bayes`), many parallel workers to the evolution strategy CMA-ES (`cmaes`). During the run it
# may switch, e.g. from `bayes` to `cmaes` once the Gaussian process stops paying off. Every choice is logged
# and kept with the results:

# %%
auto = kh.tune(MIXED, MIXED.space, max_trials=30, seed=0, progress=False)
pd.DataFrame(auto.method_history)

# %%
small = kh.tune(MIXED, {"optimizer": ["sgd", "adam"], "learning_rate": [1e-3, 1e-2], "units": [64],
                        "activation": ["relu"], "dropout": [0.0, 0.2]}, max_trials=30, progress=False)
small.method_history[0]["method"], len(small.records)       # 8 points fit in 30 trials: all of them, once

# %% [markdown]
# ## Best-arm identification
#
# Successive halving trains many configurations on a small budget (epochs), keeps the better half and
# continues them on twice the budget, until one remains. Here the objective takes the budget: a
# learning curve whose floor depends on the parameters.

# %%
def learning_curve(params, budget):
    return MIXED(params) + 2.0 / budget

sh = kh.tune(learning_curve, MIXED.space, method=kh.searchers.get("successive_halving", min_budget=1, max_budget=16),
             max_trials=31, seed=0, progress=False)
sh.trials.groupby("budget").size()

# %% [markdown]
# ## Your own method
#
# A searcher implements `_suggest(n)` on `kh.Searcher`; the shipped conformance suite checks it.

# %%
class CoordinateSearch(kh.Searcher):
    """Start anywhere; then move one encoded coordinate of the best point so far."""

    def _suggest(self, n):
        out = []
        for _ in range(n):
            if not self.completed:
                out.append(kh.Suggestion(self.space.sample(self.rng)))
                continue
            best = min(self.completed, key=self.loss)
            vector = self.space.encode(best.params)
            i = self.rng.integers(len(vector))
            vector[i] = np.clip(vector[i] + self.rng.normal(scale=0.2), 0, 1)
            out.append(kh.Suggestion(self.space.decode(vector)))
        return out

from keras_hpo.testing.conformance import run_all_checks
run_all_checks(lambda space: CoordinateSearch())
kh.tune(MIXED, MIXED.space, method=CoordinateSearch(), max_trials=60, seed=0, progress=False).best_value
