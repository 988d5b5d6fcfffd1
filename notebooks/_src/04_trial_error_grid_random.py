# %% [markdown]
# # Trial and error, grid search, random search
#
# The three oldest ways to pick hyperparameters:
#
# - **trial and error** (*ensayo y error*): the analyst picks settings by hand, looks, picks again;
# - **grid search** (*búsqueda sistemática*): every combination of a few values per hyperparameter;
# - **random search**: random combinations. The lecture notes that it is often *more* effective than
#   the grid. This notebook shows why, with the classic picture of Bergstra and Bengio (2012).

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_digits

import keras_hpo as kh

FAST = os.environ.get("KH_COURSE_FAST") == "1"
x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32")
if FAST:
    x, y = x[:800], y[:800]
model_fn = kh.keras.mlp(input_shape=64, outputs=10)
space = {"units": kh.Int(8, 256, log=True), "learning_rate": kh.Float(1e-4, 1e-1, log=True),
         "activation": ["relu", "tanh", "elu"], "epochs": 3 if FAST else 6}

# %% [markdown]
# ## 1. Trial and error
#
# `method="manual"` runs your own list, in order, after checking every entry against the space. It is
# how an analyst works by hand, and also how to seed a search with known good settings.

# %%
guesses = [
    {"units": 32, "learning_rate": 1e-3, "activation": "relu"},    # a textbook default
    {"units": 128, "learning_rate": 1e-2, "activation": "relu"},   # bigger and faster
]
if not FAST:
    guesses.append({"units": 128, "learning_rate": 3e-3, "activation": "elu"})   # a second look after the first two
by_hand = kh.tune(model_fn, space, data=(x, y), method=kh.searchers.get("manual", trials=guesses),
                  metric="val_accuracy", seed=0, progress=False)
by_hand.trials[["number", "params_units", "params_learning_rate", "params_activation", "value"]]

# %% [markdown]
# ## 2. Grid search
#
# A grid needs a finite set of values for each hyperparameter (a list, a `step`, or a Talos range
# `(start, stop, n)`). Its size is the product of the sizes: it explodes with the number of
# hyperparameters, which is why grids stay small.

# %%
grid_space = {"units": [32, 128], "learning_rate": [1e-3, 1e-2], "activation": ["relu", "tanh"],
              "epochs": space["epochs"]}
print("grid size:", kh.Space(grid_space).cardinality)
print("with 5 values for each of 6 hyperparameters:", 5 ** 6)
grid = kh.tune(model_fn, grid_space, data=(x, y), method="grid", metric="val_accuracy",
               max_trials=4 if FAST else None, seed=0, progress=False)
grid.leaderboard()[["params_units", "params_learning_rate", "params_activation", "value"]]

# %% [markdown]
# ## 3. Why random beats grid when few hyperparameters matter
#
# Suppose the validation loss depends strongly on one hyperparameter and hardly on the other (very
# common: the learning rate usually matters far more than, say, the dropout). A 3x3 grid spends 9
# trials but tries only **3** different values of the one that matters; 9 random points try **9**.
# The curves on the margins show the loss as a function of each hyperparameter alone.

# %%
def loss(p):                                          # a stand-in for a validation loss
    important = np.exp(-((p["important"] - 0.73) ** 2) / 0.005)
    unimportant = 0.1 * np.exp(-((p["unimportant"] - 0.4) ** 2) / 0.3)
    return float(1.0 - important - unimportant)


square = {"important": kh.Float(0, 1), "unimportant": kh.Float(0, 1)}
grid9 = kh.tune(loss, {"important": [1 / 6, 3 / 6, 5 / 6], "unimportant": [1 / 6, 3 / 6, 5 / 6]},
                method="grid", progress=False)
random9 = kh.tune(loss, square, method="random", max_trials=9, seed=3, progress=False)

u = np.linspace(0, 1, 200)
fig, axes = plt.subplots(2, 2, figsize=(10, 5.5), gridspec_kw={"height_ratios": [1, 3], "width_ratios": [1, 1]})
for col, (name, result) in enumerate([("grid", grid9), ("random", random9)]):
    top, main = axes[0, col], axes[1, col]
    px = [t.params["important"] for t in result.records]
    py = [t.params["unimportant"] for t in result.records]
    top.plot(u, [1 - loss({"important": v, "unimportant": 0.4}) for v in u], color="C2")
    top.plot(px, [1 - loss({"important": v, "unimportant": 0.4}) for v in px], "o", color="C3")
    top.set_title(f"{name}: {len(set(np.round(px, 6)))} distinct values of the important one")
    top.set_xlim(0, 1)
    top.set_xticks([])
    top.set_yticks([])
    main.scatter(px, py, s=60, color="C3")
    main.set_xlim(0, 1)
    main.set_ylim(0, 1)
    main.set_xlabel("important hyperparameter")
    main.set_ylabel("unimportant hyperparameter")
fig.tight_layout()
pd.DataFrame({"best loss": [grid9.best_value, random9.best_value]}, index=["grid", "random"])

# %% [markdown]
# One picture is one draw. Over many seeds and budgets, with 2 or 6 hyperparameters of which only
# the first matters much, random search finds a lower loss than a grid of the same size on most seeds
# (the last column), and on every budget its median beats the grid. The grid's handicap is its few values
# per axis: a grid of 64 trials over 6 parameters tries only 2 values of each, 64 random trials try 64.

# %%
def loss_d(p):
    return loss({"important": p["x0"], "unimportant": p["x1"]}) + 0.01 * sum(p[f"x{i}"] for i in range(2, len(p)))


rows = []
seeds = range(5 if FAST else 20)
for dims, per_axis in [(2, 3), (2, 5), (6, 2)]:
    budget = per_axis ** dims
    levels = list((np.arange(per_axis) + 0.5) / per_axis)
    g = kh.tune(loss_d, {f"x{i}": levels for i in range(dims)}, method="grid", progress=False).best_value
    r = [kh.tune(loss_d, {f"x{i}": kh.Float(0, 1) for i in range(dims)}, method="random", max_trials=budget,
                 seed=s, progress=False).best_value for s in seeds]
    rows.append({"hyperparameters": dims, "budget": budget, "grid best": g, "random best (median)": np.median(r),
                 "random beats grid": f"{np.mean(np.array(r) < g):.0%} of seeds"})
pd.DataFrame(rows)

# %% [markdown]
# ## Takeaways
#
# - Trial and error is fine for a first look and to enqueue known good settings (`method="manual"`).
# - A grid spends most of its budget repeating the same values of the hyperparameters that matter.
# - Random search tries a new value of *every* hyperparameter in every trial, so when only a few
#   matter (the usual case) it explores those few much better, for the same budget.
# - Both ignore what earlier trials found; the next notebooks (Bayesian optimisation, metaheuristics,
#   best-arm identification) learn from them.
