# %% [markdown]
# # Best-arm identification: successive halving and Hyperband
#
# From the lecture: *best-arm identification tries to find the best "arm", a set of hyperparameter
# values. It evaluates the performance of a group of arms, keeps half, and repeats the process until
# the best arm remains. It can run in parallel.*
#
# The resource that is halved is training time. Most bad configurations look bad after one or two
# epochs, so there is no need to train them for fifty. **Successive halving** trains many arms on a
# small budget (epochs), keeps the best `1/eta` (half for `eta=2`), continues those from their own
# weights on `eta` times the budget, and repeats. **Hyperband** runs several successive-halving
# *brackets*, from aggressive (many arms, tiny budget) to cautious (few arms, full budget), because how
# early one can judge an arm depends on the problem.
#
# In keras_hpo the budget travels with each trial (`trial.budget`, the `budget` column), never inside
# your hyperparameters, and a continued trial names the trial it continues (`trial.resume_from`).

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib.pyplot as plt
import numpy as np

import keras_hpo as kh

FAST = os.environ.get("KH_COURSE_FAST") == "1"


def learning_curve(params, budget):
    """A stand-in for 'validation loss after `budget` epochs': each arm has its own floor and speed."""
    floor = (np.log10(params["learning_rate"]) + 2.5) ** 2 / 4 + 0.3 * (params["activation"] == "sigmoid")
    speed = 0.5 + params["units"] / 256
    return float(floor + 1.5 * np.exp(-speed * budget / 2))


space = {"learning_rate": kh.Float(1e-5, 1e-1, log=True), "units": kh.Int(8, 256, log=True),
         "activation": ["relu", "tanh", "sigmoid"]}


def draw_rungs(result, ax, title, ylabel="loss"):
    """Each trial at (budget, value); a line joins a continued trial to the one it continues."""
    by_number = {t.number: t for t in result.records}
    for t in result.records:
        if t.resume_from is not None:
            parent = by_number[t.resume_from]
            ax.plot([parent.budget, t.budget], [parent.value, t.value], "-", color="C0", alpha=0.5)
    budgets = [t.budget for t in result.records]
    values = [t.value for t in result.records]
    ax.scatter(budgets, values, s=20, color="C0", zorder=3)
    best = result.best_trial
    ax.plot(best.budget, best.value, "*", color="C3", ms=14, zorder=4)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted(set(budgets)), [f"{b:g}" for b in sorted(set(budgets))])
    ax.set_xlabel("budget (epochs)")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)

# %% [markdown]
# ## 1. Successive halving, drawn as rungs
#
# 16 arms on 1 epoch, the best 8 continued to 2, then 4 to 4, 2 to 8 and 1 to 16: 31 trials.

# %%
sh = kh.tune(learning_curve, space, method=kh.searchers.get("successive_halving", min_budget=1, max_budget=16),
             max_trials=31, seed=0, progress=False)
fig, ax = plt.subplots(figsize=(7, 4))
draw_rungs(sh, ax, "successive halving, eta=2")
sh.trials.groupby("budget").size().rename("arms per rung")

# %% [markdown]
# The cost: a continued arm only trains the *extra* epochs. Training all 16 arms for 16 epochs would
# cost 256 epochs; successive halving spent:

# %%
by_number = {t.number: t for t in sh.records}
spent = sum(t.budget - (by_number[t.resume_from].budget if t.resume_from is not None else 0) for t in sh.records)
print(f"{spent:g} epochs instead of {16 * 16}")

# %% [markdown]
# ## 2. Hyperband: several brackets
#
# With `eta=3` and budgets 1, 3, 9 Hyperband runs three brackets: 9 arms from 1 epoch, 5 arms from 3
# epochs, and 3 arms trained for 9 epochs straight (plain random search). Each panel is one bracket
# (found by following each trial back to the arm it started from).

# %%
hb = kh.tune(learning_curve, space, method=kh.searchers.get("hyperband", min_budget=1, max_budget=9, eta=3),
             max_trials=22, seed=0, progress=False)
by_number = {t.number: t for t in hb.records}


def root(t):
    while t.resume_from is not None:
        t = by_number[t.resume_from]
    return t


starts = sorted({root(t).budget for t in hb.records})
fig, axes = plt.subplots(1, len(starts), figsize=(12, 3.5), sharey=True)
for ax, start in zip(axes, starts):
    part = [t for t in hb.records if root(t).budget == start]
    sub = kh.TuneResult(part, space=hb.space, direction="min")
    draw_rungs(sub, ax, f"bracket starting at {start:g} epoch(s): {sum(t.resume_from is None for t in part)} arms")
fig.tight_layout()

# %% [markdown]
# ## 3. On a Keras network
#
# The same searchers drive `kh.tune` with a Keras model function, with no budget arithmetic: the space's
# `epochs` is the most any arm trains (`max_budget`), the smallest rung is `epochs / eta^k` for the largest `k`
# that keeps it at least one epoch, and without `max_trials` successive halving runs one full set of rungs
# (Hyperband one full set of brackets; `iterations=` for more). A continued trial carries on from its parent's
# weights and optimizer state and trains only the extra epochs; `trial.curve` holds every epoch so far.

# %%
from sklearn.datasets import load_digits

x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32")
if FAST:
    x, y = x[:700], y[:700]
net_space = {"units": kh.Int(8, 128, log=True), "learning_rate": kh.Float(1e-4, 1e-1, log=True),
             "activation": ["relu", "tanh", "sigmoid"]}
net_space["epochs"] = 4 if FAST else 8
net = kh.tune(kh.keras.mlp(64, 10), net_space, data=(x, y), metric="val_accuracy", method="successive_halving",
              seed=0, progress=False)
fig, ax = plt.subplots(figsize=(7, 4))
draw_rungs(net, ax, "successive halving on digits", ylabel="validation accuracy")
print("best:", net.best_params, "after", net.best_trial.budget, "epochs")    # no budget key in best_params
net.trials[["number", "budget", "value", "params_units", "params_learning_rate", "params_activation"]]

# %% [markdown]
# ## 4. In parallel
#
# Within a rung the arms are independent, which is why the lecture notes that best-arm identification
# parallelises well. With `n_jobs` or a Dask cluster (notebook 10), successive halving opens the next
# bracket instead of waiting for the slowest arm of a rung, and `method="asha"` (asynchronous
# successive halving) promotes an arm as soon as it is in the top `1/eta` of the arms finished in its rung.
# Any searcher can propose the arms: `kh.searchers.get("hyperband", searcher="bayes", ...)`.

# %%
inner = kh.searchers.get("bayes", n_candidates=256)
asha = kh.tune(learning_curve, space, method=kh.searchers.get("asha", searcher=inner, min_budget=1, max_budget=9),
               max_trials=20 if FAST else 40, seed=0, progress=False)
fig, ax = plt.subplots(figsize=(7, 4))
draw_rungs(asha, ax, "ASHA (arms proposed by Bayesian optimisation)")

# %% [markdown]
# ## 5. Pruning: stop bad trials early, with any method
#
# Best-arm identification decides at fixed rungs. *Pruning* decides from each trial's own learning curve while
# it trains, whatever proposed it: `pruner="median"` stops a trial whose best value so far is worse than the
# median of the finished trials at the same epoch (Google Vizier's median stopping rule). A Keras model
# reports every epoch by itself; a plain objective takes a `report` argument and stops when told.
# Here random search runs the same 30 arms twice, with and without the median pruner.

# %%
def curve_with_reports(params, report):
    for epoch in range(1, 17):
        loss = learning_curve(params, epoch)
        if report(epoch, loss) is kh.Decision.STOP:
            break
    return loss


def epochs_used(result):
    return sum(len(t.curve) for t in result.records)


plain = kh.tune(curve_with_reports, space, method="random", max_trials=30, seed=0, progress=False)
pruned = kh.tune(curve_with_reports, space, method="random", max_trials=30, seed=0, pruner="median",
                 progress=False)
for name, result in (("random", plain), ("random + median pruner", pruned)):
    print(f"{name:24s} best {result.best_value:.4f}  epochs {epochs_used(result):4d}  "
          f"states {result.trials.state.value_counts().to_dict()}")
assert epochs_used(pruned) < epochs_used(plain)
