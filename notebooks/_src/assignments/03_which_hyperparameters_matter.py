# %% [markdown] en
# # Assignment 3: find which hyperparameters matter
#
# `course.mystery` is the validation loss of a network on a hidden task, as a function of six
# hyperparameters (`course.MYSTERY_SPACE`). Only **two** of them change the loss much. Which?
#
# 1. Tune `course.mystery` over `course.MYSTERY_SPACE` with Bayesian optimisation (`method="bayes"`),
#    at least `TRIALS` (30) trials, into `result`.
# 2. Read the learned length scales (`result.length_scales()`; short means the parameter matters) or
#    `result.plot_importance()`, and put the names of the two that matter in `important`.
#
# Notebook 05 of the course explains length scales.

# %% [markdown] es
# # Tarea 3: descubre qué hiperparámetros importan
#
# `course.mystery` es la pérdida de validación de una red en una tarea oculta, en función de seis
# hiperparámetros (`course.MYSTERY_SPACE`). Solo **dos** de ellos cambian mucho la pérdida. ¿Cuáles?
#
# 1. Ajusta `course.mystery` sobre `course.MYSTERY_SPACE` con optimización bayesiana (`method="bayes"`),
#    al menos `TRIALS` (30) ensayos, en `result`.
# 2. Lee las escalas de longitud aprendidas (`result.length_scales()`; corta significa que el parámetro
#    importa) o `result.plot_importance()`, y pon en `important` los nombres de los dos que importan.
#
# El cuaderno 05 del curso explica las escalas de longitud.

# %%
import os

import matplotlib.pyplot as plt

import keras_hpo as kh
from keras_hpo import course

LANG = __LANG__
FAST = os.environ.get("KH_COURSE_FAST") == "1"       # the course's tests set this to run quickly
TRIALS = 20 if FAST else 30
course.MYSTERY_SPACE

# %% todo en
# TODO: result = kh.tune(course.mystery, course.MYSTERY_SPACE, method=..., max_trials=..., seed=0, progress=False)
result = None

# %% todo es
# TODO: result = kh.tune(course.mystery, course.MYSTERY_SPACE, method=..., max_trials=..., seed=0, progress=False)
result = None

# %% solution
bayes = kh.searchers.get("bayes", n_candidates=256)      # fewer candidates per suggestion: quicker, enough in 6-D
result = kh.tune(course.mystery, course.MYSTERY_SPACE, method=bayes, max_trials=TRIALS, seed=0, progress=False)
print(result.summary(top=3))

# %% check
course.check_tuned(result, min_trials=TRIALS, lang=LANG)

# %% todo en
# TODO: look at the length scales (and plot the importances), then name the two that matter
important = []

# %% todo es
# TODO: mira las escalas de longitud (y dibuja las importancias), luego nombra los dos que importan
important = []

# %% solution
scales = result.length_scales()
print({name: round(value, 2) for name, value in sorted(scales.items(), key=lambda kv: kv[1])})
result.plot_importance()
plt.show()
important = sorted(scales, key=scales.get)[:2]
important

# %% check
course.check_important(important, lang=LANG)

# %% [markdown] en
# ## To think about
#
# The search found a good loss, but how sure are the length scales? Run it again with other seeds
# (`seed=1, 2, ...`) and with fewer trials. When does the ranking of the parameters change?

# %% [markdown] es
# ## Para pensar
#
# La búsqueda encontró una buena pérdida, pero ¿qué tan seguras son las escalas de longitud? Repítela con
# otras semillas (`seed=1, 2, ...`) y con menos ensayos. ¿Cuándo cambia el orden de los parámetros?
