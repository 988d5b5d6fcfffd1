# %% [markdown] en
# # Assignment 1: beat the default network with at most 30 trials
#
# A colleague trained a small network on the handwritten digits with the settings below and got the
# *baseline* validation accuracy. Your task: with **at most 30 trials**, find settings that beat it on
# the **same** validation data.
#
# 1. Write a search space (`space`) over at least three hyperparameters of `kh.keras.mlp` (see the
#    README table: `layers`, `units`, `activation`, `initializer`, `optimizer`, `learning_rate`,
#    `batch_size`, `epochs`, `dropout`, ...).
# 2. Run `kh.tune` with `metric="val_accuracy"`, `max_trials` of 30 or fewer, and store the result in `result`.
# 3. Run the self-check cells: they tell you what is missing or wrong, with a hint.
#
# Notebooks 02 and 03 of the course show what each hyperparameter does.

# %% [markdown] es
# # Tarea 1: supera a la red por defecto con 30 ensayos como máximo
#
# Un colega entrenó una red pequeña con los dígitos manuscritos y los valores de abajo, y obtuvo la
# exactitud de validación *de referencia*. Tu tarea: con **30 ensayos como máximo**, encuentra valores
# que la superen sobre los **mismos** datos de validación.
#
# 1. Escribe un espacio de búsqueda (`space`) con al menos tres hiperparámetros de `kh.keras.mlp` (ver la
#    tabla del README: `layers`, `units`, `activation`, `initializer`, `optimizer`, `learning_rate`,
#    `batch_size`, `epochs`, `dropout`, ...).
# 2. Ejecuta `kh.tune` con `metric="val_accuracy"`, `max_trials` de 30 o menos, y guarda el resultado en `result`.
# 3. Ejecuta las celdas de autoevaluación: te dicen qué falta o qué está mal, con una pista.
#
# Los cuadernos 02 y 03 del curso muestran qué hace cada hiperparámetro.

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from sklearn.datasets import load_digits

import keras_hpo as kh
from keras_hpo import course

LANG = __LANG__
FAST = os.environ.get("KH_COURSE_FAST") == "1"       # the course's tests set this to run quickly
x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32")
if FAST:
    x, y = x[:800], y[:800]
model_fn = kh.keras.mlp(input_shape=64, outputs=10)

DEFAULT = {"layers": 1, "units": 16, "activation": "sigmoid", "initializer": "glorot_uniform",
           "optimizer": "sgd", "learning_rate": 0.01, "batch_size": 32, "epochs": 5}
baseline = kh.tune(model_fn, DEFAULT, data=(x, y), metric="val_accuracy", method="grid", seed=0,
                   progress=False).best_value
print("baseline validation accuracy:", round(baseline, 4))

# %% [markdown] en
# ## Your search space
#
# A list is a choice, `kh.Int`/`kh.Float` are ranges (`log=True` for scale-like values such as the
# learning rate), a plain value is fixed. Keep `epochs` small (5 to 10) so that 30 trials stay quick.

# %% [markdown] es
# ## Tu espacio de búsqueda
#
# Una lista es una elección, `kh.Int`/`kh.Float` son rangos (`log=True` para valores de escala como la
# tasa de aprendizaje), un valor suelto queda fijo. Deja `epochs` pequeño (5 a 10) para que 30 ensayos
# sean rápidos.

# %% todo en
# TODO: a dict of hyperparameters for kh.keras.mlp
space = None

# %% todo es
# TODO: un dict de hiperparámetros para kh.keras.mlp
space = None

# %% solution
space = {
    "layers": kh.Int(1, 2),
    "units": kh.Int(32, 256, log=True),
    "activation": ["relu", "elu", "tanh"],
    "optimizer": ["adam", "rmsprop"],
    "learning_rate": kh.Float(1e-3, 3e-2, log=True),
    "epochs": 5,
}

# %% check
course.check_space(space, min_searched=3, lang=LANG)

# %% [markdown] en
# ## Your search
#
# Any method works (`"random"`, `"bayes"`, `"tpe"`, `"genetic"`, ...). Pass `seed=` so you can
# reproduce your result.

# %% [markdown] es
# ## Tu búsqueda
#
# Sirve cualquier método (`"random"`, `"bayes"`, `"tpe"`, `"genetic"`, ...). Pasa `seed=` para poder
# reproducir tu resultado.

# %% todo en
# TODO: result = kh.tune(model_fn, space, data=(x, y), metric=..., max_trials=..., seed=0, progress=False)
result = None

# %% todo es
# TODO: result = kh.tune(model_fn, space, data=(x, y), metric=..., max_trials=..., seed=0, progress=False)
result = None

# %% solution
result = kh.tune(model_fn, space, data=(x, y), metric="val_accuracy", method="random",
                 max_trials=3 if FAST else 20, seed=0, progress=False)
print(result.summary(top=3))

# %% check
course.check_budget(result, max_trials=30, lang=LANG)

# %% check
course.check_beats(result, baseline, metric="val_accuracy", lang=LANG)

# %% [markdown] en
# ## To think about
#
# Which of your changes made the difference? Try changing one hyperparameter of the default at a time
# (`method="manual"` with a list of settings) and compare with what the search found.

# %% [markdown] es
# ## Para pensar
#
# ¿Cuál de tus cambios marcó la diferencia? Prueba a cambiar un solo hiperparámetro de la red por
# defecto cada vez (`method="manual"` con una lista de valores) y compáralo con lo que encontró la búsqueda.
