# %% [markdown] en
# # Assignment 2: grid against random search on the same budget, and why
#
# `network_loss` below stands in for the validation loss of a network with two hyperparameters, the
# learning rate and the dropout (a plain function, so each "training" takes microseconds). You will
# give grid search and random search the **same budget of 9 trials** and explain the result.
#
# 1. `grid_result`: a 3 x 3 grid (three learning rates, three dropouts) with `method="grid"`.
# 2. `random_results`: a list of random searches over `space`, 9 trials each, one per seed (at least 5 seeds).
# 3. `distinct_grid`, `distinct_random`: how many *different* learning rates the grid and the first
#    random search tried.
# 4. `answer`: explain in your own words (at least 20 words) which search did better and why.

# %% [markdown] es
# # Tarea 2: búsqueda en grilla contra búsqueda aleatoria con el mismo presupuesto, y por qué
#
# `network_loss` representa la pérdida de validación de una red con dos hiperparámetros, la tasa de
# aprendizaje y el dropout (una función simple, así que cada "entrenamiento" tarda microsegundos).
# Darás a la búsqueda en grilla y a la aleatoria el **mismo presupuesto de 9 ensayos** y explicarás el resultado.
#
# 1. `grid_result`: una grilla de 3 x 3 (tres tasas de aprendizaje, tres dropouts) con `method="grid"`.
# 2. `random_results`: una lista de búsquedas aleatorias sobre `space`, de 9 ensayos cada una, una por
#    semilla (al menos 5 semillas).
# 3. `distinct_grid`, `distinct_random`: cuántas tasas de aprendizaje *distintas* probaron la grilla y la
#    primera búsqueda aleatoria.
# 4. `answer`: explica con tus palabras (al menos 20 palabras) qué búsqueda funcionó mejor y por qué.

# %%
import math

import numpy as np

import keras_hpo as kh
from keras_hpo import course

LANG = __LANG__
BUDGET = 9


def network_loss(params):
    """Validation loss of a pretend network: the learning rate matters a lot, the dropout a little."""
    lr = math.log10(params["learning_rate"])
    return 0.3 + (lr + 2.7) ** 2 / 2 + 0.05 * (params["dropout"] - 0.2) ** 2


space = {"learning_rate": kh.Float(1e-5, 1e-1, log=True), "dropout": kh.Float(0.0, 0.5)}

# %% todo en
# TODO: a 3 x 3 grid: {"learning_rate": [three values], "dropout": [three values]}, method="grid"
grid_result = None

# %% todo es
# TODO: una grilla de 3 x 3: {"learning_rate": [tres valores], "dropout": [tres valores]}, method="grid"
grid_result = None

# %% solution
grid_space = {"learning_rate": [1e-4, 1e-3, 1e-2], "dropout": [0.0, 0.25, 0.5]}
grid_result = kh.tune(network_loss, grid_space, method="grid", progress=False)

# %% todo en
# TODO: random searches over `space`, BUDGET trials each, seeds 0, 1, 2, ...
random_results = []

# %% todo es
# TODO: búsquedas aleatorias sobre `space`, BUDGET ensayos cada una, semillas 0, 1, 2, ...
random_results = []

# %% solution
random_results = [kh.tune(network_loss, space, method="random", max_trials=BUDGET, seed=s, progress=False)
                  for s in range(10)]

# %% check
course.check_grid_vs_random(grid_result, random_results, budget=BUDGET, min_seeds=5, lang=LANG)

# %%
if grid_result is not None and random_results:
    random_bests = [r.best_value for r in random_results]
    print("grid best:", round(grid_result.best_value, 4))
    print("random best: median", round(float(np.median(random_bests)), 4),
          "| beats the grid in", sum(b < grid_result.best_value for b in random_bests), "of", len(random_bests), "seeds")

# %% todo en
# TODO: count the distinct learning rates each search tried (hint: .trials["params_learning_rate"])
distinct_grid = None
distinct_random = None

# %% todo es
# TODO: cuenta las tasas de aprendizaje distintas que probó cada búsqueda (pista: .trials["params_learning_rate"])
distinct_grid = None
distinct_random = None

# %% solution
distinct_grid = grid_result.trials["params_learning_rate"].nunique()
distinct_random = random_results[0].trials["params_learning_rate"].nunique()
distinct_grid, distinct_random

# %% check
course.check_distinct(distinct_grid, distinct_random, grid_result,
                      random_results[0] if random_results else None, "learning_rate", lang=LANG)

# %% todo en
# TODO: your explanation, at least 20 words
answer = """
"""

# %% todo es
# TODO: tu explicación, al menos 20 palabras
answer = """
"""

# %% solution en
answer = """
Random search found a lower loss than the grid in most seeds with the same nine trials. Only the
learning rate really matters here. The grid spends its nine trials on just three learning rates, repeated
with three dropouts that hardly change the loss, while every random trial tries a new learning rate, so
random search gets nine chances to land near the best one.
"""

# %% solution es
answer = """
La búsqueda aleatoria encontró una pérdida menor que la grilla en la mayoría de las semillas con los
mismos nueve ensayos. Aquí solo importa de verdad la tasa de aprendizaje. La grilla gasta sus nueve
ensayos en apenas tres tasas, repetidas con tres dropouts que casi no cambian la pérdida, mientras que
cada ensayo aleatorio prueba una tasa nueva: la búsqueda aleatoria tiene nueve oportunidades de acercarse a la mejor.
"""

# %% check
course.check_answer(answer, min_words=20, lang=LANG)
