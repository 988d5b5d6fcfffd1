# %% [markdown]
# # Experiments done right: repeat, cross-validate, measure the spread, re-evaluate, seed
#
# The lecture: *whatever method is used, the experiments must be repeated to test the results,
# changing the data of the training and validation sets.* A single training run on a single
# validation split gives one number, and that number has noise from
#
# - **which samples** ended up in training and validation (the split), and
# - **the seed**: initial weights, shuffling, dropout.
#
# A search that picks the best of many noisy numbers picks, partly, the luckiest. This notebook
# measures that noise and uses keras_hpo's tools against it: repeated hold-out, k-fold cross-validation,
# the spread of each configuration, re-evaluation of the winners, and seeds.

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
x, y = x[:500], y[:500]            # a small data set, where the noise is easy to see
model_fn = kh.keras.mlp(input_shape=64, outputs=10)
EPOCHS = 3 if FAST else 6
config = {"layers": 1, "units": 32, "learning_rate": 3e-3, "epochs": EPOCHS}

# %% [markdown]
# ## 1. How noisy is one number?
#
# The **same** configuration, trained again and again: first with the same split and different seeds,
# then with different splits (`kh.Holdout(fraction=0.2, repeats=n)`: repeated random hold-out).

# %%
REPEATS = 3 if FAST else 6
same_split = kh.tune(model_fn, {**config, "units": [32]}, data=(x, y), metric="val_accuracy", method="grid",
                     seed=0, progress=False)
seeds_only = same_split.reevaluate(top=1, repeats=REPEATS)          # same data, new seeds
holdout = kh.tune(model_fn, config, data=(x, y), cv=kh.Holdout(fraction=0.2, repeats=REPEATS),
                  metric="val_accuracy", method="grid", seed=0, progress=False)
split_values = holdout.records[0].folds                                   # one value per random split
pd.DataFrame({"seeds only": [seeds_only["mean"][0], seeds_only["std"][0]],
              "new splits (and seeds)": [np.mean(split_values), np.std(split_values, ddof=1)]},
             index=["mean accuracy", "std"])

# %% [markdown]
# ## 2. k-fold cross-validation
#
# k-fold splits the data into k parts; each part validates once while the rest trains. Every sample
# is validated exactly once, and the trial's score is the mean over the k folds. With `cv=k` keras_hpo
# does this for **every** trial, on the **same** folds for every configuration (they depend only on
# the seed), stratified by class. `kh.CV(k, repeats=r)` repeats it with reshuffled folds.

# %%
fold_of = np.empty(len(y), dtype=int)
for i, (_, validation) in enumerate(kh.CV(k=5, seed=0).splits(y)):
    fold_of[validation] = i
fig, ax = plt.subplots(figsize=(9, 1.6))
ax.imshow(np.array([fold_of == i for i in range(5)]), aspect="auto", cmap="Blues", interpolation="nearest")
ax.set_yticks(range(5), [f"fold {i}" for i in range(5)])
ax.set_xlabel("sample")
ax.set_title("5-fold: the validation samples of each fold (blue)");

# %% [markdown]
# Now a small search with cross-validation (3-fold here, to stay quick; 5 or 10 is usual). Each trial keeps its per-fold values (`split_0`, ...) and
# their spread (`trial.metrics["value_std"]`).

# %%
K = 2 if FAST else 3
space = {"units": [8, 32, 128], "learning_rate": [1e-3, 1e-2], "epochs": EPOCHS}
cv = kh.tune(model_fn, space, data=(x, y), cv=K, metric="val_accuracy", method="random",
             max_trials=2 if FAST else 6, seed=0, progress=False)
table = cv.trials.sort_values("value", ascending=False)
table["spread"] = [t.metrics.get("value_std") for t in sorted(cv.records, key=lambda t: -t.value)]
table[["number", "params_units", "params_learning_rate", "value", "spread"] + [f"split_{i}" for i in range(K)]]

# %%
fig, ax = plt.subplots(figsize=(6, 3))
for rank, t in enumerate(sorted(cv.records, key=lambda t: -t.value)):
    ax.plot([rank] * len(t.folds), t.folds, "o", color="C0", alpha=0.6)
    ax.plot(rank, t.value, "_", color="C3", ms=25, mew=2)
ax.set_xticks(range(len(cv.records)), [f"#{t.number}" for t in sorted(cv.records, key=lambda t: -t.value)])
ax.set_xlabel("trial, best first")
ax.set_ylabel("validation accuracy")
ax.set_title("per-fold values (dots) and their mean (red)");

# %% [markdown]
# ## 3. Re-evaluate the winners
#
# The best mean of a search is still optimistic (it was *selected* for being high). `result.reevaluate`
# trains the top configurations again on **fresh** splits and seeds, and says whether their ranking
# holds: a configuration that only won by luck falls back.

# %%
again = cv.reevaluate(top=2, repeats=2 if FAST else 3)
print("ranking holds:", again.attrs["ranking_holds"], " best holds:", again.attrs["best_holds"])
again[["number", "value", "mean", "std", "rank_tuning", "rank_reevaluated"]]

# %% [markdown]
# ## 4. Seeds
#
# `seed=` makes a whole run reproducible: the same seed gives the same suggestions, the same splits and
# the same per-trial seeds (`trial.seed`, derived from the study seed and the trial number), so a
# colleague can rerun your table. Reproducible is not the same as *certain*: report results over several
# seeds (different seeds for the pilot runs where you choose settings, and for the runs you report).

# %%
a = kh.tune(model_fn, space, data=(x, y), metric="val_accuracy", method="random", max_trials=2, seed=7, progress=False)
b = kh.tune(model_fn, space, data=(x, y), metric="val_accuracy", method="random", max_trials=2, seed=7, progress=False)
pd.DataFrame({"run a": [t.value for t in a.records], "run b": [t.value for t in b.records],
              "trial seed": [t.seed for t in a.records]})

# %% [markdown]
# ## Checklist
#
# - Fix the validation procedure **before** tuning, and use the same splits for every configuration.
# - Prefer k-fold (or repeated hold-out) on small data: `cv=5`, `kh.CV(k=5, repeats=2)`, `kh.Holdout(0.2, repeats=5)`.
# - Look at the spread, not only the mean; two configurations closer than their spread are a tie.
# - Re-evaluate the winners on fresh splits and seeds (`result.reevaluate`), and keep a final test set
#   that no search ever saw.
# - Seed everything, and report medians over several seeds.
