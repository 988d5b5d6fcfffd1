"""The one seam between the tune loop and the work: ``objective(params, *, seed, budget, resume_from, report) -> Outcome``.

``make_objective`` turns what the user handed ``tune`` into such a callable: a
plain function ``fn(params) -> float | dict`` is wrapped here; anything trained on
``data`` goes to the Keras adapter (``keras_hpo.keras``), imported only then.

>>> objective = make_objective(lambda p: {"loss": p["x"] ** 2, "acc": 0.5}, metric="loss")
>>> objective({"x": 3.0}).value
9.0
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .trial import Decision

__all__ = ["Outcome", "PlainObjective", "make_objective", "Reporter"]

#: how a running trial streams a per-step value back and learns whether to stop
Reporter = Callable[[int, float], Decision]

_OPTIONAL_KWARGS = ("seed", "budget", "resume_from", "report")


@dataclass
class Outcome:
    """What one evaluation produced. ``value`` is the objective; the rest is kept on the trial."""

    value: float
    metrics: dict[str, Any] = field(default_factory=dict)
    curve: list[float] = field(default_factory=list)
    folds: list[float] = field(default_factory=list)
    pruned: bool = False
    #: where the trained weights were kept (for continuation and ``best_model``), if anywhere
    artifact: str | None = None
    #: files a worker on another machine wrote for this trial (name -> bytes), shipped back to the driver
    files: dict[str, bytes] = field(default_factory=dict)


def pick_value(metrics: Mapping[str, Any], metric: str | None) -> float:
    """The objective out of a dict of results: ``metric`` if named, else the only entry, else 'loss' or 'value'."""
    if metric is not None:
        if metric not in metrics:
            raise KeyError(f"metric {metric!r} is not among the results; they are {sorted(metrics)}")
        return metrics[metric]
    if len(metrics) == 1:
        return next(iter(metrics.values()))
    for name in ("loss", "value"):
        if name in metrics:
            return metrics[name]
    raise KeyError(f"the objective returned several results {sorted(metrics)}; pass metric= to say which one to optimise")


class PlainObjective:
    """Wraps ``fn(params) -> float | dict``; ``fn`` may also accept ``seed``, ``budget``, ``resume_from``, ``report``.

    Values passed to ``report(step, value)`` become the trial's curve; a trial
    that was answered ``Decision.STOP`` and then returned is recorded PRUNED.
    """

    def __init__(self, fn: Callable, metric: str | None = None) -> None:
        self.fn = fn
        self.metric = metric
        try:
            parameters = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            parameters = {}
        self._extra = [k for k in _OPTIONAL_KWARGS if k in parameters]

    @property
    def reports(self) -> bool:
        """Whether ``fn`` takes ``report``: without it a pruner has nothing to decide on."""
        return "report" in self._extra

    def __call__(self, params: dict, *, seed: int | None = None, budget: float | None = None,
                 resume_from: Any = None, report: Reporter | None = None) -> Outcome:
        curve: list[float] = []
        stopped: list[int] = []
        if report is not None and "report" in self._extra:
            given = report

            def report(step: int, value: float) -> Decision:  # keeps the curve, and whether a stop was asked
                decision = given(step, value)
                curve.append(float(value))
                if decision is Decision.STOP:
                    stopped.append(step)
                return decision

        offered = {"seed": seed, "budget": budget, "resume_from": resume_from, "report": report}
        result = self.fn(dict(params), **{k: offered[k] for k in self._extra})
        if isinstance(result, Outcome):
            return result
        if isinstance(result, Mapping):
            metrics = dict(result)
            value = pick_value(metrics, self.metric)
        elif isinstance(result, numbers.Real) and not isinstance(result, bool):
            value, metrics = result, {}
        elif hasattr(result, "fit") and hasattr(result, "predict"):
            raise TypeError("the model function returned a model; pass data=(x, y) so keras_hpo can train it")
        else:
            raise TypeError(f"the objective must return a number or a dict of numbers, got {type(result).__name__}")
        if not isinstance(value, numbers.Real) or isinstance(value, bool):
            raise TypeError(f"the objective value must be a number, got {value!r}")
        return Outcome(value=float(value), metrics=metrics, curve=curve, pruned=bool(stopped))


def _talos_shaped(fn: Callable) -> bool:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == 5


def check_model_fn(model_fn: Any) -> None:
    """Refuse a built model (or anything else that is not a function of params) before any training."""
    if hasattr(model_fn, "fit") and hasattr(model_fn, "compile") and not isinstance(model_fn, type):
        raise TypeError(f"model_fn: got a built {type(model_fn).__name__} instance; pass a function that builds a "
                        "fresh model from params, e.g. def build(params): return keras.Sequential([...]), so every "
                        "trial starts from new weights")
    if not callable(model_fn):
        raise TypeError(f"model_fn must be callable, got {type(model_fn).__name__}")


def make_objective(model_fn: Callable, *, data: Any = None, metric: str | None = None, **keras_options: Any) -> Callable:
    """The objective for ``model_fn``: a plain wrapper, or the Keras adapter when ``data`` is given."""
    check_model_fn(model_fn)
    if not callable(model_fn):
        raise TypeError(f"model_fn must be callable, got {type(model_fn).__name__}")
    if data is None:
        if getattr(model_fn, "needs_data", False):  # e.g. kh.keras.mlp(...)
            raise ValueError("data: this model function builds a Keras model; pass data=(x, y) or (x_train, y_train, x_val, y_val)")
        if _talos_shaped(model_fn):
            raise ValueError("a Talos-shaped model_fn(x_train, y_train, x_val, y_val, params) needs data=")
        return PlainObjective(model_fn, metric)
    from .keras.adapter import KerasObjective

    return KerasObjective(model_fn, data, metric=metric, **keras_options)


def is_finite_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
