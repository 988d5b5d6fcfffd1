"""Talos scans: the candidate rows come from Talos's own ``ParamSpace``, in its order.

Talos is imported on first use (``setup``) and the warning filters are put back
as they were, whatever its import does to them. Talos-style params dicts work as
the space as they are: lists are choices, ``(start, stop, steps)`` tuples are
Talos ranges, and a scalar (or a one-element list) is a constant. Talos's
options pass through: ``random_method`` (every method of its ``sample_reducer``),
``fraction_limit``, ``round_limit``, ``boolean_limit`` and ``seed`` (the study
seed when left out). Without a limit Talos walks the whole grid in its order.

Talos has no conditional parameters: a row is given to Talos with every
parameter, the inactive ones are dropped from the suggestion, and rows that then
repeat one already run are skipped. Spaces Talos cannot express fail at setup:
continuous ranges and log scales (give a list or a tuple range instead).

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: (p["lr"] - 0.01) ** 2 + p["units"] / 1e4,
...                  {"lr": [0.001, 0.01, 0.1], "units": (16, 64, 3), "epochs": 5},
...                  method="talos", seed=0, progress=False)
>>> len(result.records), result.best_params
(9, {'lr': 0.01, 'units': 16, 'epochs': 5})
"""

from __future__ import annotations

import importlib
import logging
import numbers
import warnings
from datetime import datetime, timezone
from typing import Any

from ..errors import SearchExhausted
from ..trial import Suggestion, TrialState
from .base import Searcher

__all__ = ["TalosScan", "to_talos", "RANDOM_METHODS"]

log = logging.getLogger("keras_hpo")

#: Talos's sampling methods (``talos.reducers.sample_reducer``); quantum and ambience call web services with your key
RANDOM_METHODS = ("uniform_mersenne", "uniform_crypto", "sobol", "halton", "korobov_matrix", "latin_matrix",
                  "latin_sudoku", "latin_improved", "quantum", "ambience")
#: methods whose sample the seed does not fix, so a resumed scan draws its remaining rows afresh
_UNSEEDED = ("uniform_crypto", "quantum", "ambience")


def _import_talos(module: str) -> Any:
    """Import a Talos module, leaving the warning filters (and ``showwarning``) as they were."""
    with warnings.catch_warnings():
        return importlib.import_module(module)


class TalosScan(Searcher):
    """Talos's ``ParamSpace`` row order: the full grid, or a ``fraction_limit`` / ``round_limit`` sample."""

    finite_by_itself = True

    def __init__(self, random_method: str = "uniform_mersenne", fraction_limit: float | None = None,
                 round_limit: int | None = None, boolean_limit: Any = None, seed: int | None = None) -> None:
        self.random_method = random_method
        self.fraction_limit = fraction_limit
        self.round_limit = round_limit
        self.boolean_limit = boolean_limit
        self.talos_seed = seed  # ``seed`` itself is the study seed set by ``setup``

    def _validate(self) -> None:
        for name, dist in self.space.items():
            if getattr(dist, "log", False):
                raise ValueError(f"parameter {name!r}: Talos has no log ranges; list the values instead, e.g. {name!r}: [...]")
            if not dist.finite:
                raise ValueError(f"parameter {name!r}: Talos needs a finite list of values; give step=, a list, "
                                 f"or a (start, stop, steps) tuple instead of {dist!r}")
        self._check_options()
        ParamSpace = _import_talos("talos.parameters.ParamSpace").ParamSpace
        TalosDataError = _import_talos("talos.utils.exceptions").TalosDataError
        params = {name: list(dist.values()) for name, dist in self.space.items()}
        seed = self.seed if self.talos_seed is None else self.talos_seed
        try:
            self._scan = ParamSpace(params, list(params), random_method=self.random_method,
                                    fraction_limit=self.fraction_limit, round_limit=self.round_limit,
                                    boolean_limit=self.boolean_limit, seed=seed)
        except (TalosDataError, ValueError, TypeError, OSError) as exc:
            option = next((o for o, v in (("random_method", self.random_method in ("quantum", "ambience")),
                                          ("fraction_limit", self.fraction_limit), ("round_limit", self.round_limit),
                                          ("boolean_limit", self.boolean_limit)) if v), "space")
            raise ValueError(f"{option}: Talos could not make the candidate rows: {exc}") from exc
        self._consumed = 0
        if self.fraction_limit is None and self.round_limit is None and self.run_has_limit:
            log.warning("method='talos' walks all %s rows of the grid in Talos's order, varying the last parameter "
                        "first; a max_trials or timeout that stops it early leaves the first parameters at their first "
                        "values. To sample rows across the grid as talos.Scan(round_limit=10) does, give "
                        "method=kh.searchers.get('talos', round_limit=10)", self.planned or "the")

    def _check_options(self) -> None:
        if self.random_method not in RANDOM_METHODS:
            raise ValueError(f"random_method must be one of {', '.join(RANDOM_METHODS)}; got {self.random_method!r}")
        if self.fraction_limit is not None and self.round_limit is not None:
            raise ValueError("fraction_limit and round_limit: give one of them, not both")
        f = self.fraction_limit
        if f is not None and (not isinstance(f, float) or not 0 < f <= 1):
            raise ValueError(f"fraction_limit must be a float in (0, 1], got {f!r}")
        r = self.round_limit
        if r is not None and (not isinstance(r, numbers.Integral) or isinstance(r, bool) or r < 1):
            raise ValueError(f"round_limit must be a positive integer, got {r!r}")
        if self.boolean_limit is not None and not callable(self.boolean_limit):
            raise ValueError(f"boolean_limit must be a function of a params dict returning True to keep, got {self.boolean_limit!r}")
        s = self.talos_seed
        if s is not None and (not isinstance(s, numbers.Integral) or isinstance(s, bool) or s < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {s!r}")

    @property
    def planned(self) -> int | None:
        """The rows Talos selected (after fraction_limit/round_limit), when Talos tells."""
        rows = getattr(self._scan, "param_index", None)
        return None if rows is None else min(len(rows), self.space.cardinality)

    def _next_row(self) -> dict | None:
        row = self._scan.round_parameters()
        if row is False:
            return None
        self._consumed += 1
        params: dict[str, Any] = {}
        for name in self.space:  # Talos knows no conditions: keep only the parameters active in this row
            if self.space.is_active(name, params):
                params[name] = row[name]
        return params

    def _suggest(self, n: int) -> list[Suggestion]:
        out: list[Suggestion] = []
        batch: set[str] = set()
        while len(out) < n:
            params = self._next_row()
            if params is None:
                if out:
                    break
                raise SearchExhausted(f"the Talos scan is done after {self._consumed} candidate rows")
            key = self.space.key(params)
            if not self._is_seen(params) and key not in batch:
                batch.add(key)
                out.append(Suggestion(params))
        return out

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "consumed": self._consumed}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        if self.random_method in _UNSEEDED:
            return  # a fresh sample; rows already run are skipped as seen
        while self._consumed < state["consumed"] and self._next_row() is not None:
            pass


_TALOS_RESERVED = ("start", "end", "duration", "round_epochs")
#: what the Keras adapter records beside the history's metrics (``epochs_trained`` becomes ``round_epochs``)
_BOOKKEEPING = ("epoch", "epochs_trained")


def to_talos(result: Any) -> Any:
    """The finished trials as a DataFrame shaped like Talos's ``scan_object.data``.

    One row per finished round (COMPLETE or PRUNED, by trial number): ``start``,
    ``end`` (ISO times, UTC), ``duration`` (seconds), ``round_epochs``, then the
    trial's metrics (for Keras runs, the history's values at the epoch the
    objective was read from: the last with ``objective="last"``, as in Talos;
    the objective is always there: under ``result.metric``, or ``value`` for a plain number), then
    one column per parameter (``param__<name>`` when a metric has its name, as
    Talos does; inactive conditional parameters are empty). The table also
    carries ``params`` and ``parameter_columns``, as a Talos scan object does,
    so ``talos.Analyze(result.to_talos()).best_params(...)`` returns parameters only.
    """
    metric_name = result.metric or "value"
    rows = []
    for trial in sorted(result.records, key=lambda t: t.number):
        if trial.state not in (TrialState.COMPLETE, TrialState.PRUNED):
            continue
        metrics = {k: v for k, v in trial.metrics.items()
                   if isinstance(v, numbers.Real) and not isinstance(v, bool) and k not in _BOOKKEEPING}
        if (result.metric is not None or not metrics) and metric_name not in metrics and trial.value is not None:
            metrics[metric_name] = trial.value  # without metric=, a dict's objective is already one of its entries
        epochs = trial.metrics.get("epochs_trained") or len(trial.curve) or int(trial.budget or 0)
        rows.append((trial, metrics, {"start": _iso(trial.started), "end": _iso(trial.finished),
                                      "duration": trial.duration, "round_epochs": epochs}))
    taken = set(_TALOS_RESERVED) | {k for _, metrics, _ in rows for k in metrics}
    columns = {}
    for name in result.space:
        column = name
        while column in taken:
            column = "param__" + column
        taken.add(column)
        columns[name] = column
    records = []
    for trial, metrics, head in rows:
        params = {columns[n]: trial.params.get(n) for n in result.space}
        records.append({**head, **metrics, **params})
    metric_columns = list(dict.fromkeys(k for _, metrics, _ in rows for k in metrics))
    from .._talos_data import TalosData

    table = TalosData(records, columns=[*_TALOS_RESERVED, *metric_columns, *columns.values()])
    table.params = {name: list(result.space[name].values()) if result.space[name].finite else [] for name in result.space}
    table.parameter_columns = columns
    return table


def _iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()
