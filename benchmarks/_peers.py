"""Helpers shared by the benchmark scripts: a keras_hpo Space asked through an Optuna trial, and regret curves kept small."""

from __future__ import annotations

from typing import Any

from keras_hpo.space import Choice, Fixed, Float, Int, Space


def optuna_params(trial: Any, space: Space) -> dict:
    """The point an Optuna trial suggests in ``space``, inactive conditional parameters left out."""
    params: dict = {}
    for name, dist in space.items():
        if not space.is_active(name, params):
            continue
        if isinstance(dist, Float):
            params[name] = trial.suggest_float(name, dist.low, dist.high, log=dist.log, step=dist.step)
        elif isinstance(dist, Int):
            params[name] = trial.suggest_int(name, dist.low, dist.high, log=dist.log, step=dist.step)
        elif isinstance(dist, Choice):
            params[name] = trial.suggest_categorical(name, list(dist.values_))
        elif isinstance(dist, Fixed):
            params[name] = dist.value
    return params


def improvements(values: list[float]) -> list[list]:
    """``[evaluation index, value]`` each time the best so far improves: all a regret curve needs, and small."""
    out, best = [], float("inf")
    for i, value in enumerate(values):
        if value < best:
            out.append([i, value])
            best = value
    return out
