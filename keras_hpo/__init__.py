"""keras_hpo: hyperparameter tuning for Keras in one call.

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: (p["x"] - 1) ** 2, {"x": kh.Float(-3, 3)},
...                  method="random", max_trials=25, seed=0, progress=False)
>>> round(result.best_params["x"])
1

``kh.keras`` (the Keras adapter and model builders) loads TensorFlow only when used.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import searchers
from ._pool import shutdown_workers
from .define_by_run import HyperParameters
from .errors import (
    AllTrialsFailed,
    KerasHpoError,
    ResumeMismatch,
    SearchExhausted,
    StoreError,
    StudyExists,
    StudyLocked,
    UnsafePath,
    WorkerError,
)
from .experiment import CV, Holdout
from .result import TuneResult
from .searchers import Searcher
from .space import Choice, Fixed, Float, Int, Space
from .trial import Decision, Suggestion, Trial, TrialState
from .tune import load, tune

__version__ = "0.1.0"

__all__ = [
    "tune", "load", "Space", "Float", "Int", "Choice", "Fixed", "Trial", "TrialState", "Suggestion", "Decision",
    "TuneResult", "Searcher", "searchers", "SearchExhausted", "AllTrialsFailed", "StudyExists", "KerasHpoError",
    "CV", "Holdout", "keras", "HyperParameters",
    "ResumeMismatch", "StoreError", "UnsafePath", "StudyLocked", "WorkerError", "pruners", "shutdown_workers",
]

_LAZY = {"keras": ".keras", "testing": ".testing", "plots": ".plots", "pruners": ".pruners"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return importlib.import_module(_LAZY[name], __name__)
    raise AttributeError(f"module 'keras_hpo' has no attribute {name!r}")
