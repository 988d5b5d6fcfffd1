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

from ..errors import SearchExhausted
from ..space import Fixed, Int
from ..trial import Suggestion
from .base import Searcher


class ManualSearch(Searcher):
    """Evaluates ``trials`` (a list of dicts) exactly as given, repeats included."""

    allow_repeats = True

    def __init__(self, trials: list[Mapping[str, Any]] | None = None) -> None:
        self.trials = trials

    finite_by_itself = True

    def _validate(self) -> None:
        if not isinstance(self.trials, (list, tuple)) or not self.trials:
            raise ValueError("manual search needs trials=[{...}, ...]: a non-empty list of parameter dicts")
        fixed = {n: d.value for n, d in self.space.items() if isinstance(d, Fixed)}
        self._points = []
        for i, params in enumerate(self.trials):
            if not isinstance(params, Mapping):
                raise TypeError(f"trials[{i}] must be a dict of parameters, got {type(params).__name__}")
            full = {**{n: v for n, v in fixed.items() if self.space.is_active(n, params)}, **params}
            try:
                self.space.check(full)
            except ValueError as exc:
                raise ValueError(f"trials[{i}]: {exc}") from None
            full = {n: int(v) if isinstance(self.space[n], Int) else v for n, v in full.items()}  # 2.0 -> 2
            self._points.append(full)
        self._cursor = 0

    @property
    def exhausted(self) -> bool:
        return self._cursor >= len(self._points)

    @property
    def planned(self) -> int:
        return len(self._points)

    def _suggest(self, n: int) -> list[Suggestion]:
        if self.exhausted:
            raise SearchExhausted("every manual trial has been suggested")
        batch = self._points[self._cursor : self._cursor + n]
        self._cursor += len(batch)
        return [Suggestion(dict(p)) for p in batch]

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "cursor": self._cursor}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._cursor = state["cursor"]
