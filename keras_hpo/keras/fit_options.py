"""``fit_kwargs``: the user's own ``model.fit`` options, checked once and handed to every trial.

``kh.tune(..., fit_kwargs={"callbacks": [...], "class_weight": {...}, "verbose": 0})``
passes any keyword of ``keras.Model.fit`` through to each trial's ``fit``. Three
things need care, and live here:

* a key ``fit`` does not take is refused before any training (the names come from
  ``inspect.signature(keras.Model.fit)``, so they follow the installed Keras);
* the keys keras_hpo sets itself are refused with the place they belong:
  ``epochs``, ``batch_size``, ``shuffle`` and ``validation_split`` are
  hyperparameters (put them in the space, a fixed value is fine), ``x``, ``y`` and
  ``validation_data`` come from ``data=``, ``initial_epoch`` is how keras_hpo
  continues a trial;
* callbacks keep state (EarlyStopping's patience counter, ReduceLROnPlateau's
  rate, TensorBoard's writers), so every trial gets its own deep copy, and a
  ``TensorBoard`` callback writes to its own sub-folder ``trial-<number>``.

>>> import keras
>>> check_fit_kwargs({"verbose": 0, "class_weight": {0: 1.0, 1: 2.0}})
{'verbose': 0, 'class_weight': {0: 1.0, 1: 2.0}}
>>> check_fit_kwargs({"epochs": 5})
Traceback (most recent call last):
ValueError: fit_kwargs: 'epochs' is set by keras_hpo from the params; put it in the space instead, e.g. {'epochs': 20} (a fixed value is fine; in a KerasTuner build_model(hp): hp.Fixed('epochs', 20))
"""

from __future__ import annotations

import copy
import difflib
import inspect
import os
from collections.abc import Mapping
from typing import Any

__all__ = ["check_fit_kwargs", "trial_callbacks", "OWNED"]

_SPACE_KEY = ("is set by keras_hpo from the params; put it in the space instead, e.g. {{{example}}} (a fixed value is "
              "fine; in a KerasTuner build_model(hp): {hp})")
#: the fit keywords keras_hpo sets itself, and where the user's value belongs instead
OWNED = {
    "x": "comes from data=",
    "y": "comes from data=",
    "validation_data": "comes from data=: give data=(x_train, y_train, x_val, y_val) or (train_ds, val_ds)",
    "validation_split": _SPACE_KEY.format(example="'validation_split': 0.25", hp="hp.Fixed('validation_split', 0.25)"),
    "epochs": _SPACE_KEY.format(example="'epochs': 20", hp="hp.Fixed('epochs', 20)"),
    "batch_size": _SPACE_KEY.format(example="'batch_size': 64", hp="hp.Fixed('batch_size', 64)"),
    "shuffle": _SPACE_KEY.format(example="'shuffle': False", hp="hp.Fixed('shuffle', False)"),
    "initial_epoch": "is how keras_hpo continues a trial from an earlier one; it cannot be set",
}


def _fit_parameters() -> list[str]:
    import keras

    return [name for name in inspect.signature(keras.Model.fit).parameters if name != "self"]


def check_fit_kwargs(fit_kwargs: Any) -> dict[str, Any]:
    """``fit_kwargs`` as a dict, or a ``ValueError``/``TypeError`` naming the key and the fix (before any training)."""
    if fit_kwargs is None:
        return {}
    if not isinstance(fit_kwargs, Mapping):
        raise TypeError(f"fit_kwargs must be a dict of keras.Model.fit keywords, got {type(fit_kwargs).__name__}")
    known = _fit_parameters()
    for key in fit_kwargs:
        if not isinstance(key, str):
            raise TypeError(f"fit_kwargs: keys must be keyword names, got {key!r}")
        if key in OWNED:
            raise ValueError(f"fit_kwargs: {key!r} {OWNED[key]}")
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; it takes {', '.join(k for k in known if k not in OWNED)}"
            raise ValueError(f"fit_kwargs: keras.Model.fit takes no keyword {key!r}{hint}")
    callbacks = fit_kwargs.get("callbacks")
    if callbacks is not None:
        _check_callbacks(callbacks)
    freq = fit_kwargs.get("validation_freq", 1)
    if not ((isinstance(freq, int) and not isinstance(freq, bool) and freq >= 1)
            or (isinstance(freq, list) and freq and all(isinstance(e, int) and e >= 1 for e in freq))):
        raise ValueError(f"fit_kwargs: validation_freq must be a positive integer or a list of epochs (1-based), got {freq!r}")
    return dict(fit_kwargs)


def _check_callbacks(callbacks: Any) -> None:
    import keras

    if isinstance(callbacks, keras.callbacks.Callback) or not isinstance(callbacks, (list, tuple)):
        raise TypeError("fit_kwargs: callbacks must be a list of keras.callbacks.Callback, "
                        f"got {type(callbacks).__name__}")
    for callback in callbacks:
        if not isinstance(callback, keras.callbacks.Callback):
            raise TypeError(f"fit_kwargs: callbacks must be keras.callbacks.Callback instances, got {callback!r}")
        try:
            copy.deepcopy(callback)
        except Exception as exc:
            raise ValueError(f"fit_kwargs: callback {type(callback).__name__} cannot be copied for each trial "
                             f"({exc}); build it without unpicklable state") from None


def validated_epochs(freq: Any, epochs: int) -> list[int]:
    """The 1-based epochs on which Keras validates with ``validation_freq=freq``, up to ``epochs``."""
    if isinstance(freq, int):
        return [e for e in range(1, epochs + 1) if e % freq == 0]
    return sorted(e for e in set(freq) if e <= epochs)


def trial_callbacks(callbacks: Any, trial: str) -> list[Any]:
    """Fresh copies of the user's callbacks for one trial; a TensorBoard writes under ``<log_dir>/<trial>``."""
    import keras

    fresh = []
    for callback in callbacks or ():
        twin = copy.deepcopy(callback)
        if isinstance(twin, keras.callbacks.TensorBoard):
            twin.log_dir = os.path.join(os.fspath(callback.log_dir), trial)
        fresh.append(twin)
    return fresh


_NUMBERS: dict[int, list] = {}  # study seed -> [numbers looked at, {trial seed: first trial number}]


def trial_name(study_seed: int | None, seed: int | None, limit: int = 100_000) -> str:
    """``trial-0007`` for the trial of the study whose seed is ``seed``, found from the seed; ``seed-<seed>`` if not found.

    The objective is called with the trial's seed, not its number; the seed is a
    fixed function of (study seed, number), so the number is found by counting up
    (5 microseconds a number, remembered).
    """
    if study_seed is None or seed is None:
        return f"seed-{seed}"
    from ..tune import trial_seed

    seen = _NUMBERS.setdefault(int(study_seed), [0, {}])
    while seed not in seen[1] and seen[0] < limit:
        seen[1].setdefault(trial_seed(int(study_seed), seen[0]), seen[0])
        seen[0] += 1
    return f"trial-{seen[1][seed]:04d}" if seed in seen[1] else f"seed-{seed}"
