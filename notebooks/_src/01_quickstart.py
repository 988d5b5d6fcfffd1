# %% [markdown]
# # keras_hpo in ten minutes
#
# This tutorial tunes a real Keras network on scikit-learn's bundled handwritten digits (no download),
# then shows the pieces you will use every day: the search space, the results table, plots, storage
# and resume, and honest re-evaluation of the winners.
#
# Everything here runs on a laptop CPU in a couple of minutes: the networks are small and the
# budgets tiny. Scale `max_trials` and `epochs` up for real work.

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from sklearn.datasets import load_digits

import keras_hpo as kh

x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32")
x.shape, np.bincount(y)

# %% [markdown]
# ## 1. A space
#
# A space is a dict. A list is a choice, a scalar is fixed, and `kh.Float`/`kh.Int` give ranges
# (log scales for learning rates and layer widths). `units_1` only exists when the network has two
# layers: a *conditional* parameter.

# %%
space = {
    "layers": kh.Int(1, 2),
    "units_0": kh.Int(16, 128, log=True),
    "units_1": kh.Int(16, 128, log=True, when={"layers": [2]}),
    "activation": ["relu", "tanh", "elu", "maxout"],
    "initializer": ["glorot_uniform", "he_normal"],
    "optimizer": ["adam", "rmsprop"],
    "learning_rate": kh.Float(1e-3, 3e-2, log=True),
    "batch_size": [32, 64],
    "epochs": 3,
}
kh.Space(space)

# %% [markdown]
# ## 2. One call
#
# `kh.keras.mlp(input_shape, outputs)` is a ready model function that turns a params dict into a
# compiled network. Your own `fn(params) -> keras.Model` works the same way. The objective is the
# best epoch's `val_accuracy` on a validation split (20% by default).

# %%
result = kh.tune(
    kh.keras.mlp(64, 10), space, data=(x, y),
    method="random", max_trials=4, metric="val_accuracy", seed=0, progress=False,
)
print(result.summary())

# %%
result.trials

# %%
best = result.best_model()          # trained weights of the best trial, no retraining
print(result.best_params)
print("validation accuracy", round(result.best_value, 3))

# %% [markdown]
# ## 3. Plots

# %%
import matplotlib.pyplot as plt
fig, axes = plt.subplots(1, 2, figsize=(12, 3.5))
result.plot_history(ax=axes[0])
result.plot_importance(ax=axes[1]);

# %% [markdown]
# ## 4. Storage and resume
#
# With `storage=` every trial goes to a SQLite file as it finishes. If the run dies (a crash, a
# closed laptop, SIGKILL), the same call with `resume=True` continues where it stopped: finished
# trials are kept, interrupted ones are re-run, and the total stays `max_trials`.

# %%
import tempfile, pathlib
db = str(pathlib.Path(tempfile.mkdtemp()) / "digits.db")

first = kh.tune(kh.keras.mlp(64, 10), space, data=(x, y), method="random", max_trials=2,
                metric="val_accuracy", storage=db, study="mlp", seed=1, progress=False)
more = kh.tune(kh.keras.mlp(64, 10), space, data=(x, y), method="random", max_trials=3,
               metric="val_accuracy", storage=db, study="mlp", resume=True, progress=False)
len(first.records), len(more.records), len(kh.load(db, "mlp").records)

# %% [markdown]
# ## 5. Honest results: cross-validation and re-evaluation
#
# A single validation split can crown a lucky configuration. `cv=` trains every trial on each split
# of a (stratified) k-fold (here k=2 to stay quick) and scores it by the mean; `reevaluate` retrains the winners on fresh splits
# and tells whether their order holds.

# %%
small_space = {**space, "layers": 1, "units_1": None}
small_space.pop("units_1")
cv_result = kh.tune(kh.keras.mlp(64, 10), small_space, data=(x[:600], y[:600]), cv=2,
                    method="random", max_trials=2, metric="val_accuracy", seed=2, progress=False)
cv_result.trials[["number", "value", "split_0", "split_1"]]

# %%
table = cv_result.reevaluate(top=2, repeats=2)
table[["number", "value", "mean", "std", "rank_tuning", "rank_reevaluated"]], table.attrs["ranking_holds"]

# %% [markdown]
# ## Next
#
# This notebook is the first of a course that follows a lecture on hyperparameter tuning, one notebook
# per topic: the network's hyperparameters (02), the training hyperparameters (03), trial and error,
# grid and random search (04), Bayesian optimisation (05), metaheuristics (06), best-arm identification
# (07), every method side by side (08), experiments done right (09), and parallel and cloud runs (10).
# Exercises with self-checks are in `notebooks/assignments/` (Spanish in `assignments/es/`).
#
# `keras-hpo demo --method bayes` runs the digits demo from the command line.
