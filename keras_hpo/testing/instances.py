"""Seeded instances of benchmark problems: the same function with its optimum moved to a seed-drawn place.

Why: several classic test functions have their optimum at, or near, the centre of the box (Shekel-4 at
(4, 4, 4, 4) in [0, 10]^4, Levy near 0, the six-hump camel near 0), and some optimisers (nevergrad's NGOpt and
CMA, Optuna's CMA-ES) start there. On such problems they win whatever their search does: nevergrad's NGOpt gave
the same Shekel-4 result for every seed. As in the COCO/BBOB benchmarks, an *instance* moves the optimum to a
random point of the box's inner 70 % (per seed), so that a method's result reflects its search and a seed is
a new problem, not only a new random stream.

``shifted(problem, minimizer, seed)`` makes an instance of any all-float problem whose global minimiser over
the whole of R^d is known. ``UNSEEN`` names the problems kept for the reports of 2026-11-30 (run once
there, so now seen); ``SEALED`` the ones added on 2026-11-30 for the next report, before any method change
of that session (reported once there, so now seen too); ``VAULT`` the ones added later that day for the
report after (nobody develops on them); ``PILOT`` the shifted versions of problems methods were already
developed on.

>>> p = unseen("powell4", seed=3)
>>> abs(p.regret(p.fn(p.minimizer))) < 1e-12
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..space import Choice, Float, Int, Space
from . import objectives
from .objectives import Problem

__all__ = ["Instance", "shifted", "unseen", "sealed", "vault", "pilot", "UNSEEN", "SEALED", "VAULT", "PILOT"]

#: the optimum is placed uniformly in this central fraction of each side of the box
_INNER = 0.7


@dataclass(frozen=True)
class Instance(Problem):
    """A problem with the place of its optimum: ``minimizer`` is a params dict where ``fn`` reaches ``optimum``."""

    minimizer: dict[str, Any] | None = None


def _vector(p: dict, names: list[str]) -> np.ndarray:
    return np.array([p[n] for n in names], dtype=float)


def shifted(problem: Problem, minimizer: dict[str, float], seed: int) -> Instance:
    """``problem`` with its function translated so that ``minimizer`` lands on a seed-drawn point of the box.

    Only for spaces of linear ``Float``s, and only for functions whose minimum over all of R^d is ``problem.optimum``
    (a translation brings points from outside the original box in; none of them may be better).
    """
    names = list(problem.space)
    for name in names:
        dim = problem.space[name]
        if not isinstance(dim, Float) or dim.log or dim.step is not None:
            raise ValueError(f"shifted: parameter {name!r} of {problem.name} must be a linear Float, got {dim!r}")
    low = np.array([problem.space[n].low for n in names], dtype=float)
    high = np.array([problem.space[n].high for n in names], dtype=float)
    margin = (1 - _INNER) / 2 * (high - low)
    rng = np.random.default_rng([seed, len(names), 7919])
    target = rng.uniform(low + margin, high - margin)
    offset = target - _vector(minimizer, names)
    base = problem.fn

    def fn(p: dict) -> float:
        x = _vector(p, names) - offset
        return base(dict(zip(names, x.tolist())))

    return Instance(f"{problem.name}@{seed}", problem.space, fn, problem.optimum,
                    dict(zip(names, target.tolist())))


# Problems for reports only. Added on 2026-11-30 before any method change of that day; nobody may tune on them.
def _goldstein_price(x: np.ndarray) -> float:
    a, b = x
    first = 1 + (a + b + 1) ** 2 * (19 - 14 * a + 3 * a**2 - 14 * b + 6 * a * b + 3 * b**2)
    second = 30 + (2 * a - 3 * b) ** 2 * (18 - 32 * a + 12 * a**2 + 48 * b - 36 * a * b + 27 * b**2)
    return float(first * second)


def _powell(x: np.ndarray) -> float:
    a, b, c, d = x
    return float((a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4)


def _dixon_price(x: np.ndarray) -> float:
    i = np.arange(2, len(x) + 1)
    return float((x[0] - 1) ** 2 + np.sum(i * (2 * x[1:] ** 2 - x[:-1]) ** 2))


def _trid(x: np.ndarray) -> float:
    return float(np.sum((x - 1) ** 2) - np.sum(x[1:] * x[:-1]))


def _salomon(x: np.ndarray) -> float:
    r = float(np.sqrt(np.sum(x**2)))
    return 1 - math.cos(2 * math.pi * r) + 0.1 * r


def _floats(fn, d: int) -> Any:
    return lambda p: fn(np.array([p[f"x{i}"] for i in range(d)], dtype=float))


def _box(d: int, low: float, high: float) -> Space:
    return Space({f"x{i}": Float(low, high) for i in range(d)})


def _at(values) -> dict[str, float]:
    return {f"x{i}": float(v) for i, v in enumerate(values)}


_DIXON_ARGMIN = [2.0 ** (-(2**i - 2) / 2**i) for i in range(1, 5)]
_TRID_ARGMIN = [i * (5 + 1 - i) for i in range(1, 6)]

_UNSEEN_BASES: dict[str, tuple[Problem, dict[str, float]]] = {
    "goldstein_price": (Problem("goldstein_price", _box(2, -2, 2), _floats(_goldstein_price, 2), 3.0), _at([0, -1])),
    "powell4": (Problem("powell4", _box(4, -4, 5), _floats(_powell, 4), 0.0), _at([0, 0, 0, 0])),
    "dixon_price4": (Problem("dixon_price4", _box(4, -10, 10), _floats(_dixon_price, 4), 0.0), _at(_DIXON_ARGMIN)),
    "trid5": (Problem("trid5", _box(5, -25, 25), _floats(_trid, 5), -30.0), _at(_TRID_ARGMIN)),
    "salomon3": (Problem("salomon3", _box(3, -20, 20), _floats(_salomon, 3), 0.0), _at([0, 0, 0])),
}

_GBM_BOOSTERS = ("gbtree", "dart", "linear")


def _gbm_surrogate(seed: int) -> Instance:
    """A boosted-trees-shaped loss whose best values move with the seed: the best rate falls as trees grow."""
    rng = np.random.default_rng([seed, 31337])
    best_log_rate_x_trees = float(rng.uniform(0.5, 1.5))  # log10(rate * trees) at the optimum
    best_depth = int(rng.integers(3, 10))
    best_subsample = float(rng.uniform(0.5, 0.9))
    order = [str(b) for b in rng.permutation(_GBM_BOOSTERS)]
    booster_cost = dict(zip(order, [0.0, *rng.uniform(0.1, 0.6, size=2).tolist()]))

    def fn(p: dict) -> float:
        log_rate_trees = math.log10(p["learning_rate"] * p["n_estimators"])
        return ((log_rate_trees - best_log_rate_x_trees) ** 2 + 0.3 * (math.log10(p["n_estimators"]) - 2.5) ** 2
                + 0.05 * (p["max_depth"] - best_depth) ** 2 + 3 * (p["subsample"] - best_subsample) ** 2
                + booster_cost[p["booster"]])

    space = Space({"n_estimators": Int(10, 3000, log=True), "learning_rate": Float(1e-3, 1.0, log=True),
                   "max_depth": Int(1, 12), "subsample": Float(0.3, 1.0), "booster": Choice(list(_GBM_BOOSTERS))})
    # trees are integers: the best is the integer next to 10**2.5 with the rate that matches it
    candidates = [{"n_estimators": n, "learning_rate": 10**best_log_rate_x_trees / n, "max_depth": best_depth,
                   "subsample": best_subsample, "booster": order[0]} for n in (316, 317)]
    minimizer = min(candidates, key=fn)
    return Instance(f"gbm_surrogate@{seed}", space, fn, fn(minimizer), minimizer)


#: report-only problems (names); ``unseen(name, seed)`` builds the instance of a seed
UNSEEN = (*_UNSEEN_BASES, "gbm_surrogate")


def unseen(name: str, seed: int) -> Instance:
    """The ``seed`` instance of the report-only problem ``name`` (one of ``UNSEEN``)."""
    if name == "gbm_surrogate":
        return _gbm_surrogate(seed)
    return _instance("unseen", _UNSEEN_BASES, UNSEEN, name, seed)


def _instance(kind: str, bases: dict[str, tuple[Problem, dict[str, float]]], names: tuple, name: str,
              seed: int) -> Instance:
    if name not in bases:
        raise ValueError(f"{kind}: unknown problem {name!r}; expected one of {names}")
    problem, minimizer = bases[name]
    return shifted(problem, minimizer, seed)


# Problems for the next report. Added on 2026-11-30 (second session) before any method change of that session;
# nobody may tune on them. Smooth and ill-conditioned, non-smooth, multimodal and mixed, 2 to 6 dimensions.
def _beale(x: np.ndarray) -> float:
    a, b = x
    return float((1.5 - a + a * b) ** 2 + (2.25 - a + a * b**2) ** 2 + (2.625 - a + a * b**3) ** 2)


def _colville(x: np.ndarray) -> float:
    a, b, c, d = x
    return float(100 * (a**2 - b) ** 2 + (a - 1) ** 2 + (c - 1) ** 2 + 90 * (c**2 - d) ** 2
                 + 10.1 * ((b - 1) ** 2 + (d - 1) ** 2) + 19.8 * (b - 1) * (d - 1))


def _zakharov(x: np.ndarray) -> float:
    s = float(np.sum(0.5 * np.arange(1, len(x) + 1) * x))
    return float(np.sum(x**2)) + s**2 + s**4


def _rotation(d: int, seed: int) -> np.ndarray:
    """A fixed random rotation (as in BBOB's rotated functions): the problem's axes are not the coordinate axes."""
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))[0]


_ROTATION6 = _rotation(6, 20261130)


def _rotated_ellipsoid(x: np.ndarray) -> float:
    z = _ROTATION6 @ x
    return float(np.sum(10.0 ** (4 * np.arange(len(z)) / (len(z) - 1)) * z**2))


def _schwefel_2_22(x: np.ndarray) -> float:
    return float(np.sum(np.abs(x)) + np.prod(np.abs(x)))


def _alpine(x: np.ndarray) -> float:
    return float(np.sum(np.abs(x * np.sin(x) + 0.1 * x)))


_SEALED_BASES: dict[str, tuple[Problem, dict[str, float]]] = {
    "beale": (Problem("beale", _box(2, -4.5, 4.5), _floats(_beale, 2), 0.0), _at([3, 0.5])),
    "colville4": (Problem("colville4", _box(4, -10, 10), _floats(_colville, 4), 0.0), _at([1, 1, 1, 1])),
    "zakharov5": (Problem("zakharov5", _box(5, -5, 10), _floats(_zakharov, 5), 0.0), _at([0] * 5)),
    "ellipsoid6": (Problem("ellipsoid6", _box(6, -5, 5), _floats(_rotated_ellipsoid, 6), 0.0), _at([0] * 6)),
    "schwefel222_4": (Problem("schwefel222_4", _box(4, -10, 10), _floats(_schwefel_2_22, 4), 0.0), _at([0] * 4)),
    "alpine3": (Problem("alpine3", _box(3, -10, 10), _floats(_alpine, 3), 0.0), _at([0] * 3)),
}

_SVM_KERNELS = ("rbf", "poly", "sigmoid")


def _svm_surrogate(seed: int) -> Instance:
    """An SVM-shaped loss whose best values move with the seed: C and gamma trade off along a ridge."""
    rng = np.random.default_rng([seed, 4242])
    best_log_c = float(rng.uniform(-1, 3))
    best_log_gamma = float(rng.uniform(-4, -1))
    best_degree = int(rng.integers(2, 5))
    best_tol = float(rng.uniform(-5, -3))
    order = [str(k) for k in rng.permutation(_SVM_KERNELS)]
    kernel_cost = dict(zip(order, [0.0, *rng.uniform(0.05, 0.4, size=2).tolist()]))

    def fn(p: dict) -> float:
        c, g = math.log10(p["C"]) - best_log_c, math.log10(p["gamma"]) - best_log_gamma
        return (0.5 * (c + g) ** 2 + 0.05 * (c - g) ** 2 + 0.02 * (p["degree"] - best_degree) ** 2
                + 0.01 * (math.log10(p["tol"]) - best_tol) ** 2 + kernel_cost[p["kernel"]])

    space = Space({"C": Float(1e-3, 1e4, log=True), "gamma": Float(1e-6, 1.0, log=True), "degree": Int(1, 6),
                   "tol": Float(1e-6, 1e-2, log=True), "kernel": Choice(list(_SVM_KERNELS))})
    minimizer = {"C": 10**best_log_c, "gamma": 10**best_log_gamma, "degree": best_degree, "tol": 10**best_tol,
                 "kernel": order[0]}
    return Instance(f"svm_surrogate@{seed}", space, fn, fn(minimizer), minimizer)


#: problems for the next report (names); ``sealed(name, seed)`` builds the instance of a seed
SEALED = (*_SEALED_BASES, "svm_surrogate")


def sealed(name: str, seed: int) -> Instance:
    """The ``seed`` instance of the sealed report problem ``name`` (one of ``SEALED``)."""
    if name == "svm_surrogate":
        return _svm_surrogate(seed)
    return _instance("sealed", _SEALED_BASES, SEALED, name, seed)


# Shifted versions of problems methods were developed on: for pilots, with any seeds.
_PILOT_BASES: dict[str, tuple[Problem, dict[str, float]]] = {
    "levy4": (objectives.LEVY4, _at([1, 1, 1, 1])),
    "camel": (objectives.CAMEL, _at([0.08984201368301331, -0.7126564032704135])),
    "shekel4": (objectives.SHEKEL4, _at([4.000746866658956, 3.9995094808675886, 4.000746866997999,
                                          3.9995094822423836])),
    "styblinski5": (objectives.STYBLINSKI5, _at([-2.903534027771178] * 5)),
    "rastrigin3": (objectives.RASTRIGIN3, _at([1.3, -0.7, 2.1])),
    "hartmann3": (objectives.HARTMANN3, _at([0.11458888365218206, 0.5556488957645803, 0.8525469819680283])),
    "griewank4": (objectives.GRIEWANK4, _at([23.7] * 4)),
}

#: pilot problems (names); ``pilot(name, seed)`` builds the instance of a seed
PILOT = tuple(_PILOT_BASES)


def pilot(name: str, seed: int) -> Instance:
    """The ``seed`` instance of the pilot problem ``name`` (one of ``PILOT``)."""
    return _instance("pilot", _PILOT_BASES, PILOT, name, seed)


# Problems for the report after SEALED's. Added on 2026-11-30 (second session) after the SEALED report and
# before any further method change; nobody may tune on them. Five BBOB-style functions (rotated where the
# original is separable), a smooth 2-d one and a random-forest-shaped mixed surrogate.
def _booth(x: np.ndarray) -> float:
    a, b = x
    return float((a + 2 * b - 7) ** 2 + (2 * a + b - 5) ** 2)


_ROTATION4 = _rotation(4, 61)
_ROTATION5 = _rotation(5, 62)


def _sharp_ridge(x: np.ndarray) -> float:
    z = _ROTATION4 @ x
    return float(z[0] ** 2 + 10 * np.sqrt(np.sum(z[1:] ** 2)))


def _different_powers(x: np.ndarray) -> float:
    z = _ROTATION5 @ x
    exponents = 2 + 4 * np.arange(len(z)) / (len(z) - 1)
    return float(np.sqrt(np.sum(np.abs(z) ** exponents)))


def _bent_cigar(x: np.ndarray) -> float:
    z = _ROTATION4 @ x
    return float(z[0] ** 2 + 1e4 * np.sum(z[1:] ** 2))


def _rotated_rastrigin(x: np.ndarray) -> float:
    z = _ROTATION4 @ x
    return float(10 * len(z) + np.sum(z**2 - 10 * np.cos(2 * math.pi * z)))


def _three_hump_camel(x: np.ndarray) -> float:
    a, b = x
    return float(2 * a**2 - 1.05 * a**4 + a**6 / 6 + a * b + b**2)


_VAULT_BASES: dict[str, tuple[Problem, dict[str, float]]] = {
    "booth": (Problem("booth", _box(2, -10, 10), _floats(_booth, 2), 0.0), _at([1, 3])),
    "three_hump_camel": (Problem("three_hump_camel", _box(2, -5, 5), _floats(_three_hump_camel, 2), 0.0),
                         _at([0, 0])),
    "sharp_ridge4": (Problem("sharp_ridge4", _box(4, -5, 5), _floats(_sharp_ridge, 4), 0.0), _at([0] * 4)),
    "different_powers5": (Problem("different_powers5", _box(5, -5, 5), _floats(_different_powers, 5), 0.0),
                          _at([0] * 5)),
    "bent_cigar4": (Problem("bent_cigar4", _box(4, -5, 5), _floats(_bent_cigar, 4), 0.0), _at([0] * 4)),
    "rastrigin_rotated4": (Problem("rastrigin_rotated4", _box(4, -5, 5), _floats(_rotated_rastrigin, 4), 0.0),
                           _at([0] * 4)),
}

_FOREST_CRITERIA = ("gini", "entropy", "log_loss")


def _forest_surrogate(seed: int) -> Instance:
    """A random-forest-shaped loss whose best values move with the seed: more trees help until a plateau."""
    rng = np.random.default_rng([seed, 7331])
    best_features = float(rng.uniform(0.2, 0.8))
    best_leaf = int(rng.integers(1, 9))
    best_log_depth = float(rng.uniform(0.8, 1.4))
    order = [str(c) for c in rng.permutation(_FOREST_CRITERIA)]
    criterion_cost = dict(zip(order, [0.0, *rng.uniform(0.02, 0.2, size=2).tolist()]))

    def fn(p: dict) -> float:
        trees = 1.0 / math.sqrt(p["n_estimators"]) - 1.0 / math.sqrt(1000)  # 0 at the most trees
        return (trees + 2 * (p["max_features"] - best_features) ** 2 + 0.01 * (p["min_samples_leaf"] - best_leaf) ** 2
                + 0.5 * (math.log10(p["max_depth"]) - best_log_depth) ** 2 + criterion_cost[p["criterion"]])

    space = Space({"n_estimators": Int(10, 1000, log=True), "max_features": Float(0.05, 1.0),
                   "min_samples_leaf": Int(1, 20), "max_depth": Float(2, 64, log=True),
                   "criterion": Choice(list(_FOREST_CRITERIA))})
    minimizer = {"n_estimators": 1000, "max_features": best_features, "min_samples_leaf": best_leaf,
                 "max_depth": 10**best_log_depth, "criterion": order[0]}
    return Instance(f"forest_surrogate@{seed}", space, fn, fn(minimizer), minimizer)


#: problems for the report after SEALED's (names); ``vault(name, seed)`` builds the instance of a seed
VAULT = (*_VAULT_BASES, "forest_surrogate")


def vault(name: str, seed: int) -> Instance:
    """The ``seed`` instance of the vault report problem ``name`` (one of ``VAULT``)."""
    if name == "forest_surrogate":
        return _forest_surrogate(seed)
    return _instance("vault", _VAULT_BASES, VAULT, name, seed)
