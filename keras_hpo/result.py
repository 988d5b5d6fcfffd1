"""What a tuning run gives back: the trials, the best of them, a table and a readable summary.

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: (p["x"] - 2) ** 2, {"x": kh.Float(-5, 5)},
...                  max_trials=10, seed=1, progress=False)
>>> sorted(result.trials.columns)[:3]
['budget', 'duration', 'error']
>>> result.best_trial.state.value
'COMPLETE'
"""

from __future__ import annotations

import html
from collections import Counter
from typing import Any

import numpy as np

from .errors import error_summary
from .space import Int, Space
from .trial import Trial, TrialState

__all__ = ["TuneResult"]


class TuneResult:
    """The trials of one study, with the best one picked by ``direction`` among COMPLETE trials only."""

    def __init__(self, records: list[Trial], *, space: Space, direction: str, metric: str | None = None,
                 study: str | None = None, method: str | None = None, seed: int | None = None,
                 storage: str | None = None, objective: Any = None, searcher: Any = None) -> None:
        self.records = list(records)
        self.space = space
        self.direction = direction
        self.metric = metric
        self.study = study
        self.method = method
        self.seed = seed
        self.storage = storage
        self.searcher = searcher
        self._objective = objective

    # The best -----------------------------------------------------------
    @property
    def completed(self) -> list[Trial]:
        return [t for t in self.records if t.state is TrialState.COMPLETE and t.value is not None]

    @property
    def best_trial(self) -> Trial:
        """The COMPLETE trial with the best value (the lowest number wins ties)."""
        done = self.completed
        if not done:
            states = Counter(t.state.value for t in self.records)
            raise ValueError(f"no trial completed (trials by state: {dict(states)})")
        return self._ranked(done)[0]

    def _ranked(self, trials: list[Trial]) -> list[Trial]:
        """``trials`` best first by ``direction``; the lower number first among equals."""
        sign = 1 if self.direction == "min" else -1
        return sorted(trials, key=lambda t: (sign * t.value, t.number))

    @property
    def best_params(self) -> dict[str, Any]:
        return dict(self.best_trial.params)

    @property
    def best_value(self) -> float:
        return self.best_trial.value

    def best_model(self) -> Any:
        """The trained Keras model of the best trial (reloaded from its kept weights, or retrained with its seed)."""
        if self._objective is None:
            raise ValueError(
                "best_model: this result was loaded from storage without its model function; to get the trained "
                "model, call kh.tune(model_fn, space, data=..., storage=..., study=..., resume=True) with max_trials "
                "no larger than the trials already done (nothing is re-run), then .best_model() on what it returns"
            )
        builder = getattr(self._objective, "best_model", None)
        if builder is None:
            raise ValueError("there is no model to return: this run tuned a plain objective, not a Keras model_fn")
        return builder(self.best_trial)

    def length_scales(self) -> dict[str, float]:
        """Per-parameter length scales learned by a Gaussian-process searcher (short = the parameter matters)."""
        getter = getattr(self.searcher, "length_scales", None)
        if getter is None:
            raise ValueError(f"method {self.method!r} learns no length scales; use method='bayes'")
        return getter()

    @property
    def method_history(self) -> list[dict[str, Any]]:
        """Which method ran from which trial on, and why: ``[{"method", "at_trial", "reason"}, ...]``.

        ``method="auto"`` records its first choice and every switch; a fixed method gives
        one entry. A result loaded from storage reads it from the stored searcher state.
        """
        history = getattr(self.searcher, "method_history", None)
        if history is None and self.storage is not None and self.study is not None:
            from .storage import Store

            with Store(self.storage, read_only=True) as store:
                info = store.study(self.study) or {}
            history = (info.get("searcher_state") or {}).get("method_history")
        if history is None:
            return [{"method": self.method, "at_trial": 0, "reason": "chosen by the caller"}]
        return [dict(step) for step in history]

    def reevaluate(self, top: int = 5, repeats: int = 10, seed: int | None = None) -> Any:
        """Retrain the ``top`` configurations ``repeats`` times on fresh seeds (and fresh splits with ``cv=``).

        Returns a DataFrame with each configuration's tuning value, the mean, spread
        and range of the new runs and both rankings; ``.attrs["ranking_holds"]`` and
        ``.attrs["best_holds"]`` say whether the order survived. A lucky split or
        seed shows up here as a configuration that falls back.
        """
        import pandas as pd

        from .execution import run_trial

        if self._objective is None:
            raise ValueError("reevaluate needs the objective: call it on the result that tune() returned")
        for name, value in (("top", top), ("repeats", repeats)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        board = self._ranked(self.completed)[:top]
        base = np.random.SeedSequence([self.seed or 0, 0x5EED if seed is None else seed])
        seeds = [int(s & 0x7FFFFFFF) for s in base.generate_state(repeats)]
        rows = []
        for rank, trial in enumerate(board, start=1):
            values = []
            for s in seeds:
                objective = self._objective.reseeded(s) if hasattr(self._objective, "reseeded") else self._objective
                record = run_trial(objective, dict(trial.params), seed=s, budget=trial.budget)
                if record["state"] == TrialState.COMPLETE.value:
                    values.append(record["value"])
            runs = np.array(values, dtype=float)
            rows.append({"number": trial.number, "value": trial.value,
                         "mean": runs.mean() if len(runs) else np.nan,
                         "std": runs.std(ddof=1) if len(runs) > 1 else np.nan,
                         "min": runs.min() if len(runs) else np.nan, "max": runs.max() if len(runs) else np.nan,
                         "runs": len(runs), "failed": repeats - len(runs), "rank_tuning": rank,
                         **{f"params_{k}": v for k, v in trial.params.items()}})
        table = pd.DataFrame(rows)
        table["rank_reevaluated"] = table["mean"].rank(ascending=self.direction == "min", method="min").astype("Int64")
        table.attrs["ranking_holds"] = bool((table["rank_reevaluated"] == table["rank_tuning"]).all())
        table.attrs["best_holds"] = bool(table["rank_reevaluated"].iloc[0] == 1) if len(table) else False
        return table

    # Tables -------------------------------------------------------------
    @property
    def trials(self) -> Any:
        """A pandas DataFrame, one row per trial, columns as Optuna users know them."""
        import pandas as pd

        names = list(self.space)
        n_folds = max((len(t.folds) for t in self.records), default=0)
        rows = []
        for t in self.records:
            row = {"number": t.number, "state": t.state.value, "value": t.value}
            row.update({f"params_{n}": t.params.get(n) for n in names})
            row.update(budget=t.budget, duration=t.duration, error=_first_line(t.error))
            row.update({f"split_{i}": (t.folds[i] if i < len(t.folds) else None) for i in range(n_folds)})
            rows.append(row)
        columns = ["number", "state", "value", *(f"params_{n}" for n in names), "budget", "duration", "error",
                   *(f"split_{i}" for i in range(n_folds))]
        table = pd.DataFrame(rows, columns=columns)
        for name, dist in self.space.items():  # integers stay integers when a conditional leaves gaps
            if isinstance(dist, Int):
                table[f"params_{name}"] = table[f"params_{name}"].astype("Int64")
        return table

    def to_csv(self, path: str, **kwargs: Any) -> None:
        """Write the trials table to ``path`` (pandas ``to_csv`` options pass through)."""
        self.trials.to_csv(path, index=False, **kwargs)

    def to_talos(self) -> Any:
        """The finished trials as a DataFrame shaped like Talos's ``scan_object.data`` (see ``searchers.talos_scan.to_talos``)."""
        from .searchers.talos_scan import to_talos

        return to_talos(self)

    def leaderboard(self, top: int = 10) -> Any:
        """The ``top`` COMPLETE trials, best first."""
        table = self.trials
        table = table[table["state"] == TrialState.COMPLETE.value]
        return table.sort_values(["value", "number"], ascending=[self.direction == "min", True]).head(top)

    def summary(self, top: int = 5) -> str:
        """A few readable lines: what ran, how trials ended, the best, the leaderboard."""
        states = Counter(t.state.value for t in self.records)
        head = [
            f"study {self.study or '(unnamed)'}: method={self.method}, {len(self.records)} trials "
            f"({', '.join(f'{n} {s.lower()}' for s, n in sorted(states.items()))}), "
            f"direction={self.direction}" + (f", metric={self.metric}" if self.metric else ""),
        ]
        if not self.completed:
            return "\n".join([*head, "no trial completed"])
        best = self.best_trial
        head.append(f"best value {best.value:.6g} (trial {best.number}): {best.params}")
        board = self.leaderboard(top).drop(columns=["state", "error"]).dropna(axis=1, how="all")
        return "\n".join([*head, board.to_string(index=False)])

    def __repr__(self) -> str:
        best = f", best_value={self.best_value:.6g}" if self.completed else ""
        return f"TuneResult(study={self.study!r}, method={self.method!r}, trials={len(self.records)}{best})"

    def _repr_html_(self) -> str:
        return f"<p>{html.escape(repr(self))}</p>" + self.trials.to_html(index=False, max_rows=50)

    # Plots (matplotlib, imported on use) ----------------------------------
    def plot_history(self, ax: Any = None) -> Any:
        from .plots import plot_history

        return plot_history(self, ax=ax)

    def plot_importance(self, ax: Any = None) -> Any:
        from .plots import plot_importance

        return plot_importance(self, ax=ax)

    def plot_parallel(self, ax: Any = None) -> Any:
        from .plots import plot_parallel

        return plot_parallel(self, ax=ax)

    def plot_learning_curves(self, ax: Any = None, metric: str | None = None) -> Any:
        """Every trial's per-epoch ``metric`` (default: the objective's curve), best highlighted, pruned dashed."""
        from .plots import plot_learning_curves

        return plot_learning_curves(self, ax=ax, metric=metric)

    def plot_slice(self, param: str | None = None, ax: Any = None) -> Any:
        """The objective against ``param`` (or one Axes per parameter)."""
        from .plots import plot_slice

        return plot_slice(self, param, ax=ax)

    def plot_contour(self, x: str | None = None, y: str | None = None, ax: Any = None) -> Any:
        """The objective over two parameters (default: the two most important)."""
        from .plots import plot_contour

        return plot_contour(self, x, y, ax=ax)

    def plot_timeline(self, ax: Any = None) -> Any:
        """When each trial ran on which worker, coloured by how it ended."""
        from .plots import plot_timeline

        return plot_timeline(self, ax=ax)

    def plot_rungs(self, ax: Any = None) -> Any:
        """A bandit run's trials by budget and value, promotions joined."""
        from .plots import plot_rungs

        return plot_rungs(self, ax=ax)

    def plot_ecdf(self, *others: TuneResult, ax: Any = None, labels: list[str] | None = None) -> Any:
        """The distribution of this run's values (and ``others``') on one Axes, to compare methods or studies."""
        from .plots import plot_ecdf

        return plot_ecdf(self, *others, ax=ax, labels=labels)


def _first_line(text: str | None) -> str | None:
    """A traceback as one line: the exception and its message (``errors.error_summary``; a traceback's last line
    is not always the exception: Keras ends a layer's error with the arguments it received)."""
    if not text or not text.strip():
        return None
    return error_summary(text)
