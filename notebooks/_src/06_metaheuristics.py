# %% [markdown]
# # Metaheuristics, drawn: genetic, ant colony, annealing, tabu, particle swarm
#
# The lecture's *métodos metaheurísticos* are general-purpose search strategies inspired by nature or
# by how people search. None of them models the objective the way Bayesian optimisation does; they
# move a set of points around and keep what works. keras_hpo has the five the lecture names, each a
# `method=` name that works on any space (floats, log scales, integers, choices, conditionals).
#
# To *see* them, each gets 60 trials on a 2-D function with several valleys, and we plot every point it
# tried, coloured from early (dark) to late (yellow). On a network each point would be one training run.

# %%
import os

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import keras_hpo as kh

FAST = os.environ.get("KH_COURSE_FAST") == "1"
BUDGET = 60


def landscape(p):
    """Himmelblau's function (four equal minima at 0) plus a tilt that makes (3, 2) the only best one."""
    x, y = p["x"], p["y"]
    return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2 + 2.0 * ((x - 3) ** 2 + (y - 2) ** 2) ** 0.5


space = {"x": kh.Float(-5, 5), "y": kh.Float(-5, 5)}
gx, gy = np.meshgrid(np.linspace(-5, 5, 200), np.linspace(-5, 5, 200))
gz = landscape({"x": gx, "y": gy})


def draw(result, ax, title):
    ax.contourf(gx, gy, np.log1p(gz), levels=30, cmap="Greys")
    xs = [t.params["x"] for t in result.records]
    ys = [t.params["y"] for t in result.records]
    ax.scatter(xs, ys, c=range(len(xs)), cmap="viridis", s=14, edgecolor="none")
    best = result.best_params
    ax.plot(best["x"], best["y"], "*", color="C3", ms=14, mec="w")
    ax.plot(3, 2, "x", color="k", ms=10, mew=2)
    ax.set_title(f"{title}\nbest {result.best_value:.2f}", fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])

# %% [markdown]
# ## The five methods (and random search for reference)
#
# - **Genetic algorithm** (evolutionary): a population; parents picked by tournament, children made by
#   crossover (mixing two parents) and mutation (small random changes); the best survive.
# - **Ant colony** (ACO): ants sample new points near good ones from an archive ranked by quality, the
#   way pheromone trails attract ants to short paths; trails on choices evaporate over time.
# - **Simulated annealing** (*enfriamiento simulado*): one point moves to a neighbour; a worse neighbour
#   is accepted with a probability that falls as the temperature cools, which lets it escape valleys early.
# - **Tabu search**: move to the best neighbour even if it is worse, but never back to recently visited
#   points (the tabu list), so it does not cycle.
# - **Particle swarm** (PSO): particles fly with a velocity pulled toward their own best and the swarm's best.

# %%
methods = {                                   # title: (method name, options)
    "random": ("random", {}),
    "genetic": ("genetic", {"population": 12}),
    "ant colony": ("ant_colony", {"archive": 10}),
    "annealing": ("annealing", {"step": 0.1}),
    "tabu": ("tabu", {"neighbours": 6}),
    "particle swarm": ("pso", {"particles": 8}),
}


def run(title, seed):
    name, options = methods[title]
    return kh.tune(landscape, space, method=kh.searchers.get(name, **options), max_trials=BUDGET, seed=seed,
                   progress=False)


results = {title: run(title, seed=1) for title in methods}
fig, axes = plt.subplots(2, 3, figsize=(12, 8))
for ax, (name, result) in zip(axes.ravel(), results.items()):
    draw(result, ax, name)
fig.suptitle("every point each method tried (dark = early, yellow = late);\nlight = low loss, black x = the optimum, red * = the best found");

# %% [markdown]
# Look at the shapes: random spreads evenly and learns nothing; the genetic algorithm and the ant
# colony concentrate their later points around the good valleys; annealing and tabu walk (annealing's
# steps are a trail, tabu's a cloud of neighbours around the current point); the swarm's particles
# converge toward the best one found. The walkers (annealing, tabu) can stay in the first good valley
# they find: with this small budget, that is the price of searching locally.

# %% [markdown]
# ## Path of one walker
#
# Annealing and tabu keep a *current* point. Plotting the trials in order as a line shows the walk,
# and where it jumped out of a valley.

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, name in zip(axes, ["annealing", "tabu"]):
    draw(results[name], ax, name)
    xs = [t.params["x"] for t in results[name].records]
    ys = [t.params["y"] for t in results[name].records]
    ax.plot(xs, ys, "-", color="C1", lw=0.6, alpha=0.7)

# %% [markdown]
# ## An evolution strategy: CMA-ES
#
# The genetic algorithm recombines and mutates individual points. An *evolution strategy* instead samples
# each generation from a Gaussian whose mean, step size and covariance adapt to the steps that worked:
# CMA-ES (covariance matrix adaptation), a standard method for continuous black-box problems (not a sure
# winner: in the table below, and on the README's benchmarks at 200 evaluations, other methods often beat
# it). `method="cmaes"` wraps the `cmaes` package (the one Optuna uses), handles integers and
# choices, and restarts with a larger population when it stalls (IPOP).

# %%
methods["CMA-ES"] = ("cmaes", {})
results["CMA-ES"] = run("CMA-ES", seed=1)
fig, ax = plt.subplots(figsize=(5, 4.5))
draw(results["CMA-ES"], ax, "CMA-ES")

# %% [markdown]
# ## One picture is one seed
#
# Any single run can be lucky. The fair comparison repeats each method over several seeds and reports
# the median best (the optimum is 0).

# %%
seeds = range(10, 13) if FAST else range(10, 18)
rows = []
for title in methods:
    bests = [run(title, seed=s).best_value for s in seeds]
    rows.append({"method": title, "median best": np.median(bests), "worst": np.max(bests)})
pd.DataFrame(rows).sort_values("median best")

# %% [markdown]
# ## The same call on a network
#
# Every one of these is a `method=` for `kh.tune(model_fn, space, data=...)` too, with options through
# `kh.searchers.get(name, ...)` (see the README for each method's options). On real networks, with a few
# dozen trials, the differences between them are usually smaller than between seeds: repeat before you
# conclude (notebook 09).
