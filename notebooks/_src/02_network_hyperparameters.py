# %% [markdown]
# # The network's hyperparameters: depth, width, activations, initial weights
#
# A *hyperparameter* is a choice the analyst makes before training: it is not learned by gradient
# descent (the lecture calls them *parámetros no entrenables*). They usually have an intuitive meaning,
# which is exactly why a good value is hard to guess, and they change the result a lot.
#
# This notebook looks at the hyperparameters of the network itself, each by its effect on training:
#
# 1. depth (hidden layers) and width (units per layer);
# 2. activation functions: sigmoid, tanh, ReLU, leaky ReLU, maxout, ELU, and one per layer;
# 3. initial weights: plain random numbers against the Glorot, He and LeCun heuristics.
#
# Every run below is a `kh.tune` call, mostly with `method="manual"` or `"grid"` (settings tried one by
# one), each trial with its own seed and every epoch's validation value kept in `trial.curve`.
# `KH_COURSE_FAST=1` shrinks the runs further (the tests use it).

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits

import keras_hpo as kh

FAST = os.environ.get("KH_COURSE_FAST") == "1"
EPOCHS = 4 if FAST else 8

x, y = load_digits(return_X_y=True)                 # 1797 images of 8x8 pixels, bundled with scikit-learn
x = (x / 16.0).astype("float32")
if FAST:
    x, y = x[:900], y[:900]
model_fn = kh.keras.mlp(input_shape=64, outputs=10)  # softmax classifier; the params dict builds the hidden layers


def run(settings, metric="val_accuracy", seed=0):
    """Train each settings dict once (a manual search) and return the result."""
    return kh.tune(model_fn, _space(settings), data=(x, y), method=kh.searchers.get("manual", trials=settings),
                   metric=metric, seed=seed, progress=False)


def _space(settings):
    """The smallest space that holds every settings dict: one choice per key."""
    keys = {k for s in settings for k in s}
    return {k: list(dict.fromkeys(s[k] for s in settings)) for k in keys}


def plot_curves(result, label, ax, ylabel):
    for trial in result.records:
        ax.plot(range(1, len(trial.curve) + 1), trial.curve, marker="o", ms=3, label=str(trial.params[label]))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)

# %% [markdown]
# ## 1. Depth and width
#
# Depth is the number of hidden layers (`layers`), width the number of units in each (`units`). A grid
# over both shows the usual picture: too small a network cannot fit the data, and past some size more
# capacity buys little on a small data set (and costs time).

# %%
depths = [1, 3] if FAST else [1, 2, 3]
widths = [4, 64] if FAST else [4, 16, 64, 256]
grid = kh.tune(model_fn, {"layers": depths, "units": widths, "epochs": EPOCHS}, data=(x, y),
               method="grid", metric="val_accuracy", seed=0, progress=False)
table = grid.trials.pivot(index="params_layers", columns="params_units", values="value")

fig, ax = plt.subplots(figsize=(5, 3))
im = ax.imshow(table.values, cmap="viridis", aspect="auto")
ax.set_xticks(range(len(widths)), widths)
ax.set_yticks(range(len(depths)), depths)
ax.set_xlabel("units per layer")
ax.set_ylabel("hidden layers")
for (i, j), v in np.ndenumerate(table.values):
    ax.text(j, i, f"{v:.2f}", ha="center", va="center", color="w")
fig.colorbar(im, label="validation accuracy")
ax.set_title("depth x width");

# %% [markdown]
# ## 2. Activation functions
#
# The activation is the non-linearity after each layer's weighted sum. The lecture's six:
#
# | name | formula | notes |
# | --- | --- | --- |
# | sigmoid | $\sigma(x) = 1/(1+e^{-x})$ | saturates at 0 and 1: gradients vanish in deep nets |
# | tanh | $\tanh(x)$ | centred at 0, still saturates |
# | ReLU | $\max(0, x)$ | cheap, no saturation for $x>0$; units can "die" (always 0) |
# | leaky ReLU | $\max(0.1x, x)$ | a small slope for $x<0$ keeps every unit alive (`leaky_relu`, slope 0.1) |
# | maxout | $\max(w_1^T x + b_1, w_2^T x + b_2)$ | learns its own piecewise-linear shape; `maxout_k` pieces |
# | ELU | $x$ if $x \ge 0$, $\alpha(e^x - 1)$ otherwise | smooth, negative outputs push mean activations to 0 |
#
# (The notes write leaky ReLU as $\max(-0.1x, x)$; with the minus sign it would be $|x|$-like for
# negative inputs. The usual definition, and the one keras_hpo builds, is $\max(0.1x, x)$.)

# %%
z = np.linspace(-4, 4, 400)
functions = {
    "sigmoid": 1 / (1 + np.exp(-z)),
    "tanh": np.tanh(z),
    "relu": np.maximum(0, z),
    "leaky_relu (0.1)": np.maximum(0.1 * z, z),
    "maxout of 2 lines": np.maximum(0.5 * z - 1, -0.8 * z + 0.2),
    "elu": np.where(z >= 0, z, np.exp(z) - 1),
}
fig, axes = plt.subplots(1, 6, figsize=(15, 2.5), sharey=True)
for ax, (name, values) in zip(axes, functions.items()):
    ax.plot(z, values)
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set_title(name)
axes[0].set_ylim(-2, 4);

# %% [markdown]
# The same two-layer network with each activation (same learning rate, same epochs). Sigmoid learns
# slowest: its gradient is at most 0.25 and is near zero wherever it saturates.

# %%
activations = ["sigmoid", "tanh", "relu", "leaky_relu", "maxout", "elu"]
base = {"layers": 2, "units": 32, "optimizer": "adam", "learning_rate": 3e-3, "epochs": EPOCHS}
by_activation = run([{**base, "activation": a} for a in activations], metric="val_loss")

fig, ax = plt.subplots(figsize=(6, 3.5))
plot_curves(by_activation, "activation", ax, "validation loss")
ax.set_title("one activation for the whole network");

# %% [markdown]
# ### One activation per layer
#
# Nothing forces a network to use one activation everywhere. `activation_0`, `activation_1`, ... set
# each layer's own, and they can be searched separately like any other hyperparameter.

# %%
mixed = {"layers": 3, "units": 32, "activation_0": "maxout", "activation_1": "tanh", "activation_2": "leaky_relu"}
model = model_fn(mixed)
[(layer.name, type(layer).__name__) for layer in model.layers]

# %%
per_layer = kh.tune(model_fn, {"layers": 2, "units": 32, "epochs": EPOCHS,
                               "activation_0": ["relu", "tanh", "maxout"], "activation_1": ["relu", "elu", "sigmoid"]},
                    data=(x, y), method="random", max_trials=2 if FAST else 6, metric="val_accuracy", seed=0,
                    progress=False)
per_layer.leaderboard()[["params_activation_0", "params_activation_1", "value"]]

# %% [markdown]
# The same idea in your own model function, written the KerasTuner way: a function of `hp` declares
# each hyperparameter where it is used, and `kh.tune` discovers the space from it (here one activation
# per layer, for as many layers as `layers` says: `activation_2` exists only when there are 3 layers).

# %%
import keras


def build(hp):
    hp.Fixed("epochs", EPOCHS)                       # read by keras_hpo's fit, like any key of the params
    model = keras.Sequential([keras.Input((64,))])
    for i in range(hp.Int("layers", 1, 3)):
        model.add(keras.layers.Dense(32, activation=hp.Choice(f"activation_{i}", ["relu", "tanh", "elu"])))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


declared = kh.tune(build, data=(x, y), metric="val_accuracy", method="random", max_trials=2 if FAST else 6,
                   seed=0, progress=False)
declared.space

# %% [markdown]
# ## 3. Initial weights
#
# Training starts from random weights, but *how* random matters. With a fixed small spread (Keras's
# `random_normal`: standard deviation 0.05) each layer multiplies the signal by a factor smaller than
# one, so after a few layers almost nothing reaches the output and the gradients coming back are tiny.
# The heuristics choose the spread from the layer's size so the signal keeps its scale:
#
# - **Glorot/Xavier**: variance $2/(n_{in}+n_{out})$, made for tanh and sigmoid;
# - **He**: variance $2/n_{in}$, made for ReLU (which zeroes half the signal);
# - **LeCun**: variance $1/n_{in}$, made for SELU and tanh.
#
# First a look inside an untrained deep network: the spread of each layer's outputs on the digits.

# %%
deep = {"layers": 6, "units": 64, "activation": "tanh"}
initializers = ["random_normal", "glorot_uniform", "he_normal", "lecun_normal"]

fig, ax = plt.subplots(figsize=(6, 3.5))
for init in initializers:
    keras.utils.set_random_seed(0)
    net = model_fn({**deep, "initializer": init})
    outputs = [net.get_layer(f"hidden_{i}").output for i in range(deep["layers"])]
    spreads = [float(np.std(o)) for o in keras.Model(net.input, outputs)(x[:256])]
    ax.semilogy(range(1, deep["layers"] + 1), spreads, marker="o", label=init)
ax.set_xlabel("hidden layer")
ax.set_ylabel("std of the layer's output")
ax.set_title("signal through 6 tanh layers before training")
ax.legend();

# %% [markdown]
# Then training: the same deep network from each starting point. The random start barely moves in
# the first epochs; the heuristics start learning at once.

# %%
by_init = run([{**deep, "initializer": i, "optimizer": "sgd", "learning_rate": 0.05, "epochs": EPOCHS}
               for i in initializers], metric="val_loss")
fig, ax = plt.subplots(figsize=(6, 3.5))
plot_curves(by_init, "initializer", ax, "validation loss")
ax.set_title("6 tanh layers, SGD: initializers");

# %% [markdown]
# ## Takeaways
#
# - Depth and width set the capacity; past a point more of it buys little on small data.
# - The activation can be chosen per layer, and it interacts with the initializer: ReLU-like units
#   pair with He, tanh/sigmoid with Glorot, SELU with LeCun.
# - Keep these as *searched* hyperparameters (`"activation": [...]`, `"initializer": [...]`) when you
#   are unsure: the next notebooks show how to search them well.
