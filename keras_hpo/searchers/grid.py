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

from ._listed import ListedSearch


class GridSearch(ListedSearch):
    """Exhaustive enumeration; ``shuffle=True`` visits the grid in a seeded random order."""

    done_message = "the grid is done"

    def __init__(self, shuffle: bool = False) -> None:
        self.shuffle = shuffle

    def _make_points(self) -> list[dict[str, Any]]:
        points = list(self.space.grid())  # on a continuous space: the ValueError that names its parameters
        if self.shuffle:
            points = [points[i] for i in self.rng.permutation(len(points))]
        return points
