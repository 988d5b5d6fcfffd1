"""Grid search: every point of a finite space once, in a stable order.

Numeric parameters need a ``step`` (or a Talos ``(start, stop, steps)`` range, or a
list of values); the error names the ones that do not.

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: p["a"] * p["b"], {"a": [1, 2, 3], "b": [-1, 1]},
...                  method="grid", progress=False)
>>> len(result.records), result.best_value
(6, -3.0)
"""

from __future__ import annotations

from typing import Any

from ..errors import SearchExhausted
from ..trial import Suggestion
from .base import Searcher


class GridSearch(Searcher):
    """Exhaustive enumeration; ``shuffle=True`` visits the grid in a seeded random order."""

    def __init__(self, shuffle: bool = False) -> None:
        self.shuffle = shuffle

    finite_by_itself = True

    def _validate(self) -> None:
        if not self.space.finite:
            list(self.space.grid())  # raises the ValueError that names the continuous parameters
        self._points = list(self.space.grid())
        if self.shuffle:
            order = self.rng.permutation(len(self._points))
            self._points = [self._points[i] for i in order]
        self._cursor = 0

    @property
    def planned(self) -> int:
        return len(self._points)

    def _suggest(self, n: int) -> list[Suggestion]:
        if self._cursor >= len(self._points):
            raise SearchExhausted("the grid is done")
        batch = self._points[self._cursor : self._cursor + n]
        self._cursor += len(batch)
        return [Suggestion(p) for p in batch]

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "cursor": self._cursor}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._cursor = state["cursor"]
