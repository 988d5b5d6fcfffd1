# %% [markdown]
# # The training hyperparameters: learning rate, batches, epochs, optimizer, data sizes
#
# The lecture's second group of hyperparameters belongs to the training algorithm, not the network:
#
# 1. the learning rate of gradient descent, searched on a log scale;
# 2. the batch size and how batches are used (shuffling, steps per epoch);
# 3. the number of epochs (iterations over the data);
# 4. the optimizer algorithm;
# 5. the sizes of the training and validation sets.
#
# keras_hpo reads `learning_rate`, `optimizer`, `batch_size`, `shuffle`, `epochs` and
# `validation_split` from the params of every trial. `KH_COURSE_FAST=1` shrinks the runs.

# %%
import math
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

import keras_hpo as kh

FAST = os.environ.get("KH_COURSE_FAST") == "1"
EPOCHS = 4 if FAST else 8

x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32")
rng = np.random.default_rng(0)
order = rng.permutation(len(x))
train, val = order[:1200], order[1200:]          # a fixed validation set for the whole notebook
if FAST:
    train = train[:700]
x_train, y_train, x_val, y_val = x[train], y[train], x[val], y[val]
model_fn = kh.keras.mlp(input_shape=64, outputs=10)
base = {"layers": 1, "units": 64, "activation": "relu", "epochs": EPOCHS}


def manual(settings, data=(x_train, y_train, x_val, y_val), metric="val_loss", seed=0):
    """Train each settings dict once, in order (trial and error)."""
    space = {k: list(dict.fromkeys(s[k] for s in settings)) for k in settings[0]}
    return kh.tune(model_fn, space, data=data, method=kh.searchers.get("manual", trials=settings),
                   metric=metric, seed=seed, progress=False)


def plot_curves(result, key, ax, ylabel="validation loss"):
    for t in result.records:
        ax.plot(range(1, len(t.curve) + 1), t.curve, marker="o", ms=3, label=f"{key}={t.params[key]}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)

# %% [markdown]
# ## 1. The learning rate, on a log scale
#
# Good learning rates for one problem span orders of magnitude (1e-4 to 1 for SGD). Drawn uniformly
# between 1e-4 and 1, 90% of the draws land above 0.1; drawn uniformly on the *logarithm*, each decade
# gets the same share. That is what `kh.Float(1e-4, 1, log=True)` does.

# %%
space = kh.Space({"linear": kh.Float(1e-4, 1.0), "log": kh.Float(1e-4, 1.0, log=True)})
draws = [space.sample(rng) for _ in range(2000)]
fig, axes = plt.subplots(1, 2, figsize=(10, 2.8), sharey=True)
bins = np.logspace(-4, 0, 17)
for ax, key in zip(axes, ["linear", "log"]):
    ax.hist([d[key] for d in draws], bins=bins)
    ax.set_xscale("log")
    ax.set_title(f"kh.Float(1e-4, 1{', log=True' if key == 'log' else ''})")
    ax.set_xlabel("learning rate")
axes[0].set_ylabel("draws out of 2000");

# %% [markdown]
# The validation loss after a few epochs of plain SGD, learning rate by learning rate: too small and
# nothing moves, too large and training jumps around or diverges (a diverged trial is FAILED, and the
# run goes on). The optimum sits in the middle, and only a log axis shows it.

# %%
rates = [1e-3, 1e-1, 1.0, 10.0] if FAST else [1e-4, 1e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0, 3.0]
by_rate = kh.tune(model_fn, {**base, "optimizer": "sgd", "learning_rate": rates},
                  data=(x_train, y_train, x_val, y_val), method="grid", seed=0, progress=False)
done = by_rate.trials[by_rate.trials["state"] == "COMPLETE"]
fig, ax = plt.subplots(figsize=(5, 3))
ax.semilogx(done["params_learning_rate"], done["value"], marker="o")
ax.set_xlabel("learning rate (log scale)")
ax.set_ylabel("best validation loss")
ax.set_title("SGD: the learning rate");
by_rate.trials[["params_learning_rate", "state", "value"]]

# %% [markdown]
# ## 2. Batch size, steps per epoch and shuffling
#
# One *epoch* passes over every training sample once, in *batches*: each batch gives one gradient step.
# So the number of steps per epoch is `ceil(n_train / batch_size)`: small batches mean many small,
# noisy steps; large batches few, smooth and (on a GPU) cheaper ones.

# %%
n_train = len(x_train)
[(b, math.ceil(n_train / b)) for b in (8, 32, 128, 512)]     # (batch size, steps per epoch)

# %%
batches = [16, 256] if FAST else [8, 32, 128, 512]
by_batch = manual([{**base, "optimizer": "sgd", "learning_rate": 0.05, "batch_size": b} for b in batches])
fig, ax = plt.subplots(figsize=(6, 3.2))
plot_curves(by_batch, "batch_size", ax)
ax.set_title("same epochs, same learning rate: fewer steps with big batches");

# %% [markdown]
# **How** the batches are made matters too. Keras shuffles the training data before every epoch
# (`shuffle=True`, the default). Without it, the batches come in the stored order; if the data is
# sorted (by class, by date, by source) every batch holds one class and each step undoes the last.
# Here the training data is sorted by digit, and only the shuffle differs:

# %%
by_label = np.argsort(y_train, kind="stable")
sorted_data = (x_train[by_label], y_train[by_label], x_val, y_val)
by_shuffle = manual([{**base, "optimizer": "adam", "learning_rate": 3e-3, "shuffle": s} for s in (True, False)],
                    data=sorted_data, metric="val_accuracy")
fig, ax = plt.subplots(figsize=(6, 3.2))
plot_curves(by_shuffle, "shuffle", ax, "validation accuracy")
ax.set_title("training data sorted by class");

# %% [markdown]
# ## 3. Epochs
#
# More epochs fit the training data better; at some point the validation loss stops improving and
# starts rising (over-fitting). keras_hpo records every epoch's value (`trial.curve`) and scores a trial
# by its best epoch (`objective="best"`, the default; `"last"` takes the final epoch), so the number
# of epochs mostly sets a time budget. Notebook 07 (best-arm identification) spends epochs wisely.

# %%
long = manual([{**base, "units": 256, "optimizer": "adam", "learning_rate": 5e-3, "epochs": 12 if FAST else 30}])
curve = long.records[0].curve
best_epoch = int(np.argmin(curve)) + 1
fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(range(1, len(curve) + 1), curve, marker="o", ms=3)
ax.axvline(best_epoch, color="C3", ls="--", label=f"best epoch {best_epoch}")
ax.set_xlabel("epoch")
ax.set_ylabel("validation loss")
ax.legend();

# %% [markdown]
# ## 4. The optimizer
#
# Plain SGD takes a step against the gradient; momentum (and Nesterov's variant) keeps a running
# velocity; RMSprop and Adagrad scale each weight's step by its recent gradient size; Adam combines
# momentum and that scaling. Each has its own good learning rate, so compare them each near theirs
# (or, better, tune the rate together with the optimizer: the best rate depends on it).

# %%
optimizers = {"sgd": 0.1, "momentum": 0.01, "rmsprop": 1e-3, "adam": 1e-3}
if not FAST:
    optimizers.update({"nesterov": 0.01, "adagrad": 0.05})
by_optimizer = manual([{**base, "optimizer": o, "learning_rate": lr} for o, lr in optimizers.items()])
fig, ax = plt.subplots(figsize=(6, 3.2))
plot_curves(by_optimizer, "optimizer", ax)
ax.set_title("optimizers, each at a usual learning rate");

# %% [markdown]
# ## 5. The sizes of the training and validation sets
#
# More training data usually helps more than any hyperparameter. A small *validation* set has another
# cost: its score is a noisy estimate, so the "best" configuration may only be the luckiest. Below, a
# network is trained on growing training sets (same validation set), then one trained network is
# scored on many random validation subsets of each size: the spread of the estimate shrinks like
# $1/\sqrt{n}$.

# %%
sizes = [100, 300, len(x_train)] if FAST else [100, 200, 400, 800, len(x_train)]
scores = []
for n in sizes:
    r = kh.tune(model_fn, {**base, "optimizer": "adam", "learning_rate": 3e-3},
                data=(x_train[:n], y_train[:n], x_val, y_val), method="grid", metric="val_accuracy",
                seed=0, progress=False)
    scores.append(r.best_value)

correct = r.best_model().predict(x_val, verbose=0).argmax(axis=1) == y_val   # the last (largest) network
val_sizes = [25, 50, 100, 200, 400]
spread = [[correct[rng.choice(len(correct), n, replace=False)].mean() for _ in range(300)] for n in val_sizes]

fig, axes = plt.subplots(1, 2, figsize=(11, 3.2))
axes[0].plot(sizes, scores, marker="o")
axes[0].set_xlabel("training samples")
axes[0].set_ylabel("validation accuracy")
axes[0].set_title("more training data")
axes[1].boxplot(spread, tick_labels=val_sizes)
axes[1].set_xlabel("validation samples")
axes[1].set_ylabel("measured accuracy")
axes[1].set_title("the same network, scored on random validation sets");

# %% [markdown]
# ## Takeaways
#
# - Search learning rates (and other scale-like values: widths, weight decay) on a log scale.
# - Batch size sets the number of steps per epoch and their noise; shuffle unless the order is the point.
# - Score by the best epoch, and use early stopping or best-arm identification to spend epochs well.
# - Tune the learning rate together with the optimizer.
# - A small validation set makes every comparison noisy: notebook 09 shows how to measure that spread.
