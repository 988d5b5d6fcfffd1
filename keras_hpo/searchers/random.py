"""Random search: independent uniform draws, each on its parameter's own scale.

On a finite space it samples without replacement and stops exactly when every
point has been tried; on a continuous space it never stops on its own.

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: (p["x"] - 0.3) ** 2, {"x": kh.Float(0, 1)},
...                  method="random", max_trials=20, seed=0, progress=False)
>>> result.best_value < 0.01
True
"""

from __future__ import annotations

from ..trial import Suggestion
from .base import Searcher


class RandomSearch(Searcher):
    """Uniform random sampling over the space."""

    def _suggest(self, n: int) -> list[Suggestion]:
        # repeats are replaced by unseen points in Searcher.ask, which makes this sampling without replacement
        return [Suggestion(self.space.sample(self.rng)) for _ in range(n)]
