"""Helpers shared by the benchmark scripts: a keras_hpo Space asked through an Optuna trial."""

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
