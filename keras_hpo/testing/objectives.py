"""Benchmark problems with known optima, shared by tests and ``benchmarks/``.

Each ``Problem`` is minimised; ``regret(value)`` is the distance to the optimum.

>>> from keras_hpo.testing.objectives import BRANIN
>>> round(BRANIN.fn({"x1": 9.42478, "x2": 2.475}), 4)
0.3979
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..space import Choice, Float, Int, Space

__all__ = ["Problem", "BRANIN", "HARTMANN6", "ROSENBROCK4", "ACKLEY5", "MIXED", "CONDITIONAL", "PROBLEMS",
           "LEVY4", "STYBLINSKI5", "GRIEWANK4", "CAMEL", "MIXED_INT", "HELD_OUT",
           "RASTRIGIN3", "HARTMANN3", "SHEKEL4", "MICHALEWICZ5", "MLP_SURROGATE", "FRESH"]


@dataclass(frozen=True)
class Problem:
    """A minimisation problem: its space, its function of a params dict, and the optimum value."""

    name: str
    space: Space
    fn: Callable[[dict[str, Any]], float]
    optimum: float

    def regret(self, value: float) -> float:
        return float(value) - self.optimum

    def __call__(self, params: dict[str, Any]) -> float:
        return self.fn(params)


def _branin(p: dict) -> float:
    x1, x2 = p["x1"], p["x2"]
    b, c, r, s, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 6.0, 10.0, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - t) * math.cos(x1) + s


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H_A = np.array([[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]])
_H_P = 1e-4 * np.array([[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                        [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]])


def _hartmann6(p: dict) -> float:
    x = np.array([p[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H_ALPHA * np.exp(-np.sum(_H_A * (x - _H_P) ** 2, axis=1))))


def _rosenbrock(p: dict) -> float:
    x = np.array([p[f"x{i}"] for i in range(len(p))])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def _ackley(p: dict) -> float:
    x = np.array([p[f"x{i}"] for i in range(len(p))])
    d = len(x)
    return float(-20 * np.exp(-0.2 * np.sqrt(np.sum(x**2) / d)) - np.exp(np.sum(np.cos(2 * np.pi * x)) / d) + 20 + math.e)


_BEST_LR = {"sgd": -1.0, "adam": -3.0, "rmsprop": -2.5}
_ACTIVATION_PENALTY = {"relu": 0.0, "tanh": 0.3, "sigmoid": 1.0}


def _mixed(p: dict) -> float:
    """A stand-in for a network's validation loss: the best learning rate depends on the optimizer."""
    lr_term = (math.log10(p["learning_rate"]) - _BEST_LR[p["optimizer"]]) ** 2
    units_term = (math.log2(p["units"]) - 7.0) ** 2 / 4.0
    return lr_term + units_term + _ACTIVATION_PENALTY[p["activation"]] + 2.0 * (p["dropout"] - 0.2) ** 2


_TARGET_UNITS = (7.0, 6.0, 5.0, 4.0)


def _conditional(p: dict) -> float:
    """Depth matters (3 is best) and each active layer has its own best width."""
    depth = p["layers"]
    widths = sum((math.log2(p[f"units_{i}"]) - _TARGET_UNITS[i]) ** 2 / 4.0 for i in range(depth))
    return widths + 0.5 * abs(depth - 3) + (math.log10(p["learning_rate"]) + 2.5) ** 2


BRANIN = Problem("branin", Space({"x1": Float(-5, 10), "x2": Float(0, 15)}), _branin, 0.397887357729738)
HARTMANN6 = Problem("hartmann6", Space({f"x{i}": Float(0, 1) for i in range(6)}), _hartmann6, -3.32236801141551)
ROSENBROCK4 = Problem("rosenbrock4", Space({f"x{i}": Float(-2, 2) for i in range(4)}), _rosenbrock, 0.0)
ACKLEY5 = Problem("ackley5", Space({f"x{i}": Float(-32.768, 32.768) for i in range(5)}), _ackley, 0.0)
MIXED = Problem(
    "mixed",
    Space({
        "optimizer": Choice(["sgd", "adam", "rmsprop"]),
        "learning_rate": Float(1e-5, 1.0, log=True),
        "units": Int(8, 1024, log=True),
        "activation": Choice(["relu", "tanh", "sigmoid"]),
        "dropout": Float(0.0, 0.5, step=0.05),
    }),
    _mixed,
    0.0,
)
CONDITIONAL = Problem(
    "conditional",
    Space({
        "layers": Int(1, 4),
        **{f"units_{i}": Int(8, 512, log=True, when={"layers": list(range(i + 1, 5))}) for i in range(4)},
        "learning_rate": Float(1e-5, 1.0, log=True),
    }),
    _conditional,
    0.0,
)

PROBLEMS = {p.name: p for p in (BRANIN, HARTMANN6, ROSENBROCK4, ACKLEY5, MIXED, CONDITIONAL)}


# Held-out problems: added for benchmarks/auto_vs_peers.py after every method was tuned, and never tuned on.
def _vector(p: dict) -> np.ndarray:
    return np.array([p[f"x{i}"] for i in range(len(p))], dtype=float)


def _levy(p: dict) -> float:
    w = 1 + (_vector(p) - 1) / 4
    return float(np.sin(np.pi * w[0]) ** 2 + np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(np.pi * w[:-1] + 1) ** 2))
                 + (w[-1] - 1) ** 2 * (1 + np.sin(2 * np.pi * w[-1]) ** 2))


def _styblinski_tang(p: dict) -> float:
    x = _vector(p)
    return float(np.sum(x**4 - 16 * x**2 + 5 * x) / 2)


_GRIEWANK_SHIFT = 23.7  # the optimum off the centre of the box, where some optimisers start


def _griewank(p: dict) -> float:
    x = _vector(p) - _GRIEWANK_SHIFT
    return float(np.sum(x**2) / 4000 - np.prod(np.cos(x / np.sqrt(np.arange(1, len(x) + 1)))) + 1)


def _camel(p: dict) -> float:
    x, y = p["x0"], p["x1"]
    return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2


_KIND_SHIFT = {"a": 1.5, "b": -2.0, "c": 0.0, "d": 3.0}
_KIND_COST = {"a": 0.4, "b": 0.0, "c": 0.8, "d": 0.2}


def _mixed_int(p: dict) -> float:
    """Integers on linear and log scales, a float whose best value depends on a choice, and a flag."""
    return ((p["x"] - _KIND_SHIFT[p["kind"]]) ** 2 + ((p["n"] - 7) / 3) ** 2 + (math.log(p["k"] / 30)) ** 2
            + _KIND_COST[p["kind"]] + (0.0 if p["flag"] else 0.5))


LEVY4 = Problem("levy4", Space({f"x{i}": Float(-10, 10) for i in range(4)}), _levy, 0.0)
STYBLINSKI5 = Problem("styblinski5", Space({f"x{i}": Float(-5, 5) for i in range(5)}), _styblinski_tang,
                      -39.16616570377142 * 5)
GRIEWANK4 = Problem("griewank4", Space({f"x{i}": Float(-100, 100) for i in range(4)}), _griewank, 0.0)
CAMEL = Problem("camel", Space({"x0": Float(-3, 3), "x1": Float(-2, 2)}), _camel, -1.0316284534898774)
MIXED_INT = Problem(
    "mixed_int",
    Space({"x": Float(-5, 5), "n": Int(0, 20), "k": Int(1, 100, log=True), "kind": Choice(["a", "b", "c", "d"]),
           "flag": Choice([True, False])}),
    _mixed_int,
    0.0,
)
HELD_OUT = {p.name: p for p in (LEVY4, STYBLINSKI5, GRIEWANK4, CAMEL, MIXED_INT)}


# Fresh problems: added on 2026-11-29 after the held-out set above had been used to improve `auto` and the
# metaheuristics. Benchmarks report on them with seeds nobody piloted on; nothing may be tuned on them.
_RASTRIGIN_SHIFT = np.array([1.3, -0.7, 2.1])  # off the centre and off the integer grid


def _rastrigin(p: dict) -> float:
    z = _vector(p) - _RASTRIGIN_SHIFT
    return float(10 * len(z) + np.sum(z**2 - 10 * np.cos(2 * np.pi * z)))


_H3_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_H3_P = 1e-4 * np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])


def _hartmann3(p: dict) -> float:
    x = _vector(p)
    return float(-np.sum(_H3_ALPHA * np.exp(-np.sum(_H3_A * (x - _H3_P) ** 2, axis=1))))


_SHEKEL_BETA = 0.1 * np.array([1, 2, 2, 4, 4, 6, 3, 7, 5, 5])
_SHEKEL_C = np.array([[4, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
                      [4, 1, 8, 6, 3, 2, 5, 8, 6, 7], [4, 1, 8, 6, 7, 9, 3, 1, 2, 3.6]], dtype=float)


def _shekel(p: dict) -> float:
    x = _vector(p)
    return float(-np.sum(1.0 / (np.sum((x[:, None] - _SHEKEL_C) ** 2, axis=0) + _SHEKEL_BETA)))


def _michalewicz(p: dict) -> float:
    x = _vector(p)
    i = np.arange(1, len(x) + 1)
    return float(-np.sum(np.sin(x) * np.sin(i * x**2 / np.pi) ** 20))


_SURROGATE_BEST_LR = {"sgd": -1.0, "adam": -3.0, "rmsprop": -2.5}
_SURROGATE_OPT_COST = {"sgd": 0.3, "adam": 0.0, "rmsprop": 0.1}
_SURROGATE_ACT_COST = {"relu": 0.0, "elu": 0.05, "tanh": 0.25, "sigmoid": 0.9}


def _mlp_surrogate(p: dict) -> float:
    """A network-shaped loss: the best width and dropout grow with depth, the best rate depends on the optimizer."""
    return ((math.log10(p["learning_rate"]) - _SURROGATE_BEST_LR[p["optimizer"]]) ** 2
            + 0.5 * math.log2(p["units"] / (32 * p["layers"])) ** 2 + 4 * (p["dropout"] - 0.1 * p["layers"]) ** 2
            + _SURROGATE_OPT_COST[p["optimizer"]] + _SURROGATE_ACT_COST[p["activation"]])


RASTRIGIN3 = Problem("rastrigin3", Space({f"x{i}": Float(-5.12, 5.12) for i in range(3)}), _rastrigin, 0.0)
# The optimum computed to full precision (L-BFGS-B from 50 starts); the often quoted -3.86278214782076 is 2.4e-6
# below what this function reaches, which floored every reported regret at 2.4e-6 before 2026-11-30.
HARTMANN3 = Problem("hartmann3", Space({f"x{i}": Float(0, 1) for i in range(3)}), _hartmann3, -3.862779787332662)
SHEKEL4 = Problem("shekel4", Space({f"x{i}": Float(0, 10) for i in range(4)}), _shekel, -10.53644315348353)
MICHALEWICZ5 = Problem("michalewicz5", Space({f"x{i}": Float(0, math.pi) for i in range(5)}), _michalewicz,
                       -4.687658179)
MLP_SURROGATE = Problem(
    "mlp_surrogate",
    Space({"learning_rate": Float(1e-5, 1.0, log=True), "units": Int(8, 512, log=True), "layers": Int(1, 4),
           "activation": Choice(["relu", "tanh", "sigmoid", "elu"]), "dropout": Float(0.0, 0.6),
           "optimizer": Choice(["sgd", "adam", "rmsprop"])}),
    _mlp_surrogate,
    0.0,
)
FRESH = {p.name: p for p in (RASTRIGIN3, HARTMANN3, SHEKEL4, MICHALEWICZ5, MLP_SURROGATE)}
