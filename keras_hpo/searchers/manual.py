"""Manual search ("trial and error"): run a given list of parameter dicts, in order.

Each dict is checked against the space before any training starts; a parameter
the space fixes may be left out. The same list is how warm-start points are queued.

>>> import keras_hpo as kh
>>> trials = [{"x": 0.1}, {"x": 0.5}]
>>> result = kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)},
...                  method=kh.searchers.Manual(trials), progress=False)
>>> result.best_params
{'x': 0.1}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..space import Fixed, Int
from ._listed import ListedSearch


class ManualSearch(ListedSearch):
    """Evaluates ``trials`` (a list of dicts) exactly as given, repeats included."""

    allow_repeats = True
    done_message = "every manual trial has been suggested"

    def __init__(self, trials: list[Mapping[str, Any]] | None = None) -> None:
        self.trials = trials

    def _make_points(self) -> list[dict[str, Any]]:
        if not isinstance(self.trials, (list, tuple)) or not self.trials:
            raise ValueError("manual search needs trials=[{...}, ...]: a non-empty list of parameter dicts")
        fixed = {n: d.value for n, d in self.space.items() if isinstance(d, Fixed)}
        points = []
        for i, params in enumerate(self.trials):
            if not isinstance(params, Mapping):
                raise TypeError(f"trials[{i}] must be a dict of parameters, got {type(params).__name__}")
            full = {**{n: v for n, v in fixed.items() if self.space.is_active(n, params)}, **params}
            try:
                self.space.check(full)
            except ValueError as exc:
                raise ValueError(f"trials[{i}]: {exc}") from None
            points.append({n: int(v) if isinstance(self.space[n], Int) else v for n, v in full.items()})  # 2.0 -> 2
        return points
