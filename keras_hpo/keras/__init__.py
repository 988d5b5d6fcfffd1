"""The Keras adapter: tune the model function you already have, or the ready ``mlp``.

``kh.tune(model_fn, space, data=(x, y))`` hands ``model_fn`` to ``KerasObjective``,
which builds, compiles and trains each trial and reads the objective from the
history. This package is the only part of keras_hpo that imports Keras, and it
does so only when a network is built: importing it is cheap.

>>> import keras_hpo as kh
>>> space = kh.keras.mlp_space(max_layers=2)
>>> sorted(space)[:3]
['activation', 'batch_norm', 'batch_size']
"""

from __future__ import annotations

import importlib
from typing import Any

from .builder import ACTIVATIONS, INITIALIZERS, MLP, OPTIMIZERS, build_mlp, make_optimizer, mlp, mlp_space

__all__ = ["build_mlp", "mlp", "mlp_space", "MLP", "make_optimizer", "Maxout", "KerasObjective",
           "ACTIVATIONS", "INITIALIZERS", "OPTIMIZERS"]

_LAZY = {"Maxout": ".layers", "KerasObjective": ".adapter"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from ..quiet import import_keras

        import_keras()  # `from keras_hpo.keras import Maxout` loads Keras: without TensorFlow's start-up log
        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'keras_hpo.keras' has no attribute {name!r}")
