# %% [markdown] en
# # Assignment 4: tune with cross-validation and show the winner is not luck
#
# On a small data set, one validation split is a noisy judge. Tune a network with **k-fold
# cross-validation**, then **re-evaluate** the two best configurations on fresh splits and seeds, and
# decide whether the winner really is the best or was lucky.
#
# 1. `result`: `kh.tune` with `cv=K` (K = 3 folds, or more) on the data below, `metric="val_accuracy"`.
# 2. `table`: `result.reevaluate(top=2, repeats=REPEATS)`.
# 3. `best_holds`: `True` if the tuning winner is still first after re-evaluation, else `False`.
#
# Notebook 09 of the course shows each step.

# %% [markdown] es
# # Tarea 4: ajusta con validación cruzada y muestra que el ganador no es suerte
#
# Con pocos datos, una sola partición de validación es un juez ruidoso. Ajusta una red con **validación
# cruzada de k particiones**, luego **reevalúa** las dos mejores configuraciones con particiones y
# semillas nuevas, y decide si la ganadora es de verdad la mejor o tuvo suerte.
#
# 1. `result`: `kh.tune` con `cv=K` (K = 3 particiones, o más) sobre los datos de abajo, `metric="val_accuracy"`.
# 2. `table`: `result.reevaluate(top=2, repeats=REPEATS)`.
# 3. `best_holds`: `True` si la ganadora del ajuste sigue primera tras la reevaluación, si no `False`.
#
# El cuaderno 09 del curso muestra cada paso.

# %%
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from sklearn.datasets import load_digits

import keras_hpo as kh
from keras_hpo import course

LANG = __LANG__
FAST = os.environ.get("KH_COURSE_FAST") == "1"       # the course's tests set this to run quickly
x, y = load_digits(return_X_y=True)
x = (x / 16.0).astype("float32")[:400]
y = y[:400]
K, REPEATS = (2, 2) if FAST else (3, 3)               # folds, re-evaluation runs
model_fn = kh.keras.mlp(input_shape=64, outputs=10)
space = {"units": [8, 32, 128], "learning_rate": kh.Float(1e-3, 3e-2, log=True), "activation": ["relu", "tanh"],
         "epochs": 3 if FAST else 5}

# %% todo en
# TODO: result = kh.tune(model_fn, space, data=(x, y), cv=..., metric=..., max_trials=4, seed=0, progress=False)
result = None

# %% todo es
# TODO: result = kh.tune(model_fn, space, data=(x, y), cv=..., metric=..., max_trials=4, seed=0, progress=False)
result = None

# %% solution
result = kh.tune(model_fn, space, data=(x, y), cv=K, metric="val_accuracy", method="random",
                 max_trials=2 if FAST else 6, seed=0, progress=False)
result.trials[["number", "value", "split_0", "split_1", "params_units", "params_learning_rate"]]

# %% check
course.check_cv(result, min_splits=K, lang=LANG)

# %% todo en
# TODO: table = result.reevaluate(...)
table = None

# %% todo es
# TODO: table = result.reevaluate(...)
table = None

# %% solution
table = result.reevaluate(top=2, repeats=REPEATS)
table[["number", "value", "mean", "std", "rank_tuning", "rank_reevaluated"]]

# %% check
course.check_reevaluation(table, min_top=2, min_repeats=REPEATS, lang=LANG)

# %% todo en
# TODO: True or False, read from the table
best_holds = None

# %% todo es
# TODO: True o False, leído de la tabla
best_holds = None

# %% solution
best_holds = bool(table.loc[table["rank_tuning"] == 1, "rank_reevaluated"].iloc[0] == 1)
best_holds

# %% check
course.check_verdict(best_holds, table, lang=LANG)

# %% [markdown] en
# ## To think about
#
# Compare the winner's tuning value with its re-evaluated mean: which is higher, and why is that
# expected? Is the gap between the two configurations larger than their spread (`std`)?

# %% [markdown] es
# ## Para pensar
#
# Compara el valor de ajuste de la ganadora con su media reevaluada: ¿cuál es mayor y por qué es de
# esperar? ¿Es la diferencia entre las dos configuraciones mayor que su dispersión (`std`)?
