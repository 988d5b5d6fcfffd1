"""``KerasObjective``: one trial of a Keras model function, as the tune loop's objective.

``kh.tune(model_fn, space, data=...)`` wraps ``model_fn`` in a ``KerasObjective``.
Three shapes of ``model_fn`` are told apart automatically:

1. ``fn(params) -> keras.Model``, compiled or not: trained here on ``data``;
2. ``fn(x_train, y_train, x_val, y_val, params) -> (history, model)``: the Talos
   shape (five positional arguments), called as it is;
3. ``fn(params) -> float | dict``: a plain objective, nothing to train.

Per trial: ``keras.backend.clear_session()`` (its full garbage collection paced,
see ``_Collector``), the trial's seed through ``keras.utils.set_random_seed``,
then ``fit`` with ``epochs``, ``batch_size``,
``shuffle`` and ``validation_split`` read from params (defaults 10, 32, True,
0.2; ``data=(x_train, y_train, x_val, y_val)`` brings its own validation set).
An uncompiled model is compiled with ``optimizer`` (default adam),
``learning_rate`` and ``loss`` from params, the loss inferred from the labels
and the output layer when not given. The objective is ``metric`` (default
``val_loss``) at the best epoch (``objective="best"``) or the last
(``objective="last"``); every epoch's value is kept as the trial's ``curve``, and
every metric Keras logged, per epoch, as ``metrics["history"]`` (for learning-curve
plots and TensorBoard). The validation arrays' tf.data pipeline is built once per
batch size and reused by every trial (``_validation_data``: the same batches,
without Keras rebuilding them at each ``fit``).

Weights live on disk in ``artifacts_dir`` (a temporary folder when None): the
best trial so far (at its best epoch), and every trial that ran with a
``budget`` so that a later trial can continue it (``resume_from``). The live
models of budgeted trials are also kept in memory, within a fixed limit
(``keras_hpo.keras.live``), so a continuation skips rebuilding and retracing.
Nothing else that grows with the number of trials is held in memory, and the
object pickles to worker processes as its arguments only.

>>> import numpy as np, keras_hpo as kh
>>> x, y = np.random.default_rng(0).normal(size=(60, 4)), np.arange(60) % 2
>>> objective = KerasObjective(kh.keras.mlp(4, 2), (x, y), metric="val_accuracy")
>>> outcome = objective({"units": 4, "epochs": 2}, seed=0)
>>> len(outcome.curve)
2
"""

from __future__ import annotations

import difflib
import gc
import json
import logging
import math
import numbers
import os
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..errors import UnsafePath
from ..objective import Outcome, PlainObjective, _talos_shaped
from ..paths import inside
from ..space import Float, Space
from ..trial import Decision, Trial, better
from .builder import check_names, make_optimizer, space_values
from .datasets import check_datasets, first_batch, has_datasets, label_sample
from .fit_options import check_fit_kwargs, trial_callbacks, trial_name, validated_epochs
from .live import live_models

__all__ = ["KerasObjective"]

log = logging.getLogger("keras_hpo")

#: training options read from params when present, with the values used when absent
DEFAULTS = {"epochs": 10, "batch_size": 32, "shuffle": True, "validation_split": 0.2}
_BEST = "best.json"


def _keras() -> Any:
    from ..quiet import import_keras  # TensorFlow's native start-up log stays out of the output

    return import_keras()


def _direction_of(metric: str) -> str:
    from ..tune import infer_direction

    return infer_direction(metric)


#: the share of training time that full garbage collections between trials may take (see ``_Collector``);
#: 1.0 collects before every trial, as ``keras.backend.clear_session()`` does by default
GC_TIME_SHARE = 0.03


class _Collector:
    """Full garbage collections between trials, paced so they cost at most ``GC_TIME_SHARE`` of the training time.

    ``keras.backend.clear_session()`` ends with ``gc.collect()``, which with TensorFlow
    loaded walks millions of objects (0.2-0.4 s here, a tenth to a fifth of a small
    model's training). The adapter clears the session without it before every trial
    and collects here instead: before every trial when trials are long, every few
    trials when they are short, so the garbage of old models stays bounded either way.
    The price, measured over 100 small trials (``benchmarks/keras_memory.py``): RSS
    grows 0.2-0.35 MiB per trial more than with a collection before every trial
    (4.3-4.5 against 4.1 MiB, which is Keras's own leak; the adapter holds nothing).
    """

    def __init__(self) -> None:
        self.cost = 0.25  # seconds per collection, measured from the first one on
        self.work = 0.0

    def before_trial(self) -> None:
        if GC_TIME_SHARE >= 1.0 or self.work * GC_TIME_SHARE >= self.cost:
            started = time.perf_counter()
            gc.collect()
            self.cost, self.work = time.perf_counter() - started, 0.0

    def after_trial(self, seconds: float) -> None:
        self.work += seconds


_collector = _Collector()  # one per process: its state is two numbers


def _clear_session(keras: Any) -> None:
    """``keras.backend.clear_session()`` before a trial, with the full collection paced by ``_collector``."""
    _collector.before_trial()
    keras.backend.clear_session(free_memory=False)


# Data ------------------------------------------------------------------
def _as_arrays(name: str, value: Any) -> Any:
    """NumPy arrays (or a list / dict of them for several inputs), with a ValueError naming the problem."""
    if value is None:
        raise ValueError(f"data: {name} is None")
    if isinstance(value, Mapping):
        return {k: _as_arrays(f"{name}[{k!r}]", v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and value and all(hasattr(v, "shape") for v in value):
        return [_as_arrays(f"{name}[{i}]", v) for i, v in enumerate(value)]
    if hasattr(value, "to_numpy"):  # pandas
        value = value.to_numpy()
    array = np.asarray(value)
    if array.ndim == 0:
        raise ValueError(f"data: {name} must be an array of samples, got a single value {value!r}")
    if array.dtype == object:
        raise ValueError(f"data: {name} must hold numbers, got an array of Python objects")
    return array


def _leaves(value: Any) -> list[np.ndarray]:
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return [value]


def _take(value: Any, part: slice) -> Any:
    if isinstance(value, Mapping):
        return {k: v[part] for k, v in value.items()}
    if isinstance(value, list):
        return [v[part] for v in value]
    return value[part]


def _n_samples(name: str, value: Any, check_values: bool = False) -> int:
    lengths = sorted({len(leaf) for leaf in _leaves(value)})
    if len(lengths) > 1:
        raise ValueError(f"data: the inputs of {name} have different numbers of samples {lengths}")
    if not lengths or lengths[0] == 0:
        raise ValueError(f"data: {name} is empty (0 samples)")
    for leaf in _leaves(value) if check_values else ():
        if np.issubdtype(leaf.dtype, np.floating) and not np.isfinite(leaf).all():
            raise ValueError(f"data: {name} contains NaN or infinite values")
    return lengths[0]


def _prepare(data: Any) -> tuple:
    """``(x, y)`` or ``(x_train, y_train, x_val, y_val)`` checked and as arrays; raises before any training."""
    if not isinstance(data, (tuple, list)) or len(data) not in (2, 4):
        raise ValueError("data must be (x, y) or (x_train, y_train, x_val, y_val), "
                         f"got {type(data).__name__}{f' of {len(data)} items' if isinstance(data, (tuple, list)) else ''}")
    names = ("x", "y") if len(data) == 2 else ("x_train", "y_train", "x_val", "y_val")
    arrays = tuple(_as_arrays(n, d) for n, d in zip(names, data))
    for i in range(0, len(arrays), 2):
        nx, ny = _n_samples(names[i], arrays[i], True), _n_samples(names[i + 1], arrays[i + 1], True)
        text = [leaf for leaf in _leaves(arrays[i + 1]) if leaf.dtype.kind in "US"]  # x may be text; y never is
        if text:
            raise ValueError(f"data: {names[i + 1]} holds strings ({str(text[0].flat[0])!r}, ...); Keras trains on "
                             "numbers: encode the labels, e.g. with sklearn.preprocessing.LabelEncoder")
        if nx != ny:
            raise ValueError(f"data: {names[i]} has {nx} samples but {names[i + 1]} has {ny}")
    if len(arrays) == 4:
        for a, b, what in ((arrays[0], arrays[2], "x"), (arrays[1], arrays[3], "y")):
            shapes = [leaf.shape[1:] for leaf in _leaves(a)], [leaf.shape[1:] for leaf in _leaves(b)]
            if shapes[0] != shapes[1]:
                raise ValueError(f"data: {what}_train samples have shape {shapes[0]} but {what}_val samples {shapes[1]}")
    return arrays


def _class_labels(y: Any) -> Any:
    """Class labels of ``y`` (integer labels, or the argmax of one-hot rows), or None for anything else."""
    try:
        y = np.asarray(y)
    except (TypeError, ValueError):
        return None
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1) if np.isin(y, (0, 1)).all() else None
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.dtype.kind not in "iubf" or (y.dtype.kind == "f" and not np.array_equal(y, np.round(y))):
        return None
    return y if len(np.unique(y)) <= 1000 else None


def _warn_one_class_validation(y: Any, fraction: Any) -> None:
    """Keras's validation_split takes the last samples: labels sorted by class leave one class to validate on."""
    labels = _class_labels(y)
    if labels is None or not isinstance(fraction, numbers.Real) or not 0 < fraction < 1:
        return
    cut = _split_at(len(labels), fraction)
    train, validation = np.unique(labels[:cut]), np.unique(labels[cut:])
    if len(validation) == 1 and len(train) > 1:
        log.warning("data: the validation split (the last %s of the samples, where Keras's validation_split cuts) holds "
                    "only label %s, while training has %d labels: the data looks sorted by label. Shuffle x and y "
                    "together first (talos.Scan shuffles by default; Keras does not)", f"{fraction:.0%}", validation[0],
                    len(train))


def _split_at(n: int, fraction: float) -> int:
    """Where Keras's ``validation_split`` cuts: the last ``fraction`` of the samples validates."""
    return int(math.ceil(n * (1.0 - fraction)))


def _check_fraction(fraction: Any, n: int) -> None:
    if not isinstance(fraction, numbers.Real) or isinstance(fraction, bool) or not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_split must be a number in [0, 1), got {fraction!r}")
    if fraction > 0 and (_split_at(n, fraction) < 1 or _split_at(n, fraction) >= n):
        raise ValueError(f"validation_split={fraction} leaves no training or no validation sample out of {n}")


# Reading the history ------------------------------------------------------
class _Watch:
    """The per-epoch callback: curve, the missing-metric and NaN checks, reports to the searcher, best weights."""

    def __init__(self, metric: str, direction: str, report: Callable | None, history: dict[str, list],
                 keep_best_below: float | None, keep_weights: bool, validation_freq: Any = 1,
                 metric_epochs: list[int] | None = None) -> None:
        keras = _keras()

        class Callback(keras.callbacks.Callback):
            def on_epoch_end(inner, epoch: int, logs: dict | None = None) -> None:  # noqa: N805
                self.on_epoch_end(inner.model, epoch, logs or {})

        self.callback = Callback()
        self.metric, self.direction, self.report = metric, direction, report
        self.history = {k: list(v) for k, v in history.items()}
        self.epochs = len(self.history.get("loss", next(iter(self.history.values()), [])))
        self.validation_freq = validation_freq
        #: the (1-based) epochs at which ``metric`` was recorded: all of them unless fit's validation_freq skips some
        self.metric_epochs = list(metric_epochs or range(1, len(self.history.get(metric, [])) + 1))
        self.diverged_at: int | None = None
        self.pruned = False
        self.keep_weights = keep_weights
        self.best_weights: list | None = None
        self.best_value = keep_best_below  # only epochs better than this (and than earlier ones) are snapshotted

    def better(self, a: float, b: float | None) -> bool:
        return better(a, b, self.direction)

    def on_epoch_end(self, model: Any, epoch: int, logs: dict) -> None:
        skipped = self.metric not in logs and self.metric.startswith("val_") and epoch + 1 not in validated_epochs(
            self.validation_freq, epoch + 1)  # fit(validation_freq=k) validates every k-th epoch only
        if self.metric not in logs and not skipped:
            raise ValueError(_not_in_history(self.metric, logs)
                             + (" (no validation data: validation_split is 0)" if self.metric.startswith("val_")
                                and not any(k.startswith("val_") for k in logs) else ""))
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))
        self.epochs = epoch + 1
        if skipped:
            if not math.isfinite(float(logs.get("loss", 0.0))):
                self.diverged_at = epoch + 1
                model.stop_training = True
            return
        self.metric_epochs.append(epoch + 1)
        value = float(logs[self.metric])
        if not math.isfinite(float(logs.get("loss", 0.0))) or not math.isfinite(value):
            self.diverged_at = epoch + 1
            model.stop_training = True
            return
        if self.keep_weights and self.better(value, self.best_value):
            self.best_value = value
            self.best_weights = model.get_weights()
        if self.report is not None and self.report(epoch + 1, value) is Decision.STOP:
            self.pruned = True
            model.stop_training = True


def _not_in_history(metric: str, logged: Mapping[str, Any]) -> str:
    """Why ``metric`` cannot be scored: the names Keras logged, and the one meant when it looks like a typo or
    Keras 2's ``acc``/``val_acc`` (``val_auc`` is another metric, not a typo of ``val_accuracy``)."""
    keras2 = metric[:-3] + "accuracy" if metric.endswith("acc") else None
    close = [keras2] if keras2 in logged else difflib.get_close_matches(metric, list(logged), n=1, cutoff=0.9)
    return (f"metric {metric!r} is not in the training history; it has {sorted(logged)}"
            + (f"; did you mean {close[0]!r}?" if close else ""))


def _score(history: Mapping[str, list], metric: str, objective: str, direction: str) -> tuple[float, int]:
    """The objective value and its epoch index out of a history, or a ValueError that says what is wrong."""
    if metric not in history:
        raise ValueError(_not_in_history(metric, history))
    curve = [float(v) for v in history[metric]]
    if not curve:
        raise ValueError("the model trained for 0 epochs; give epochs >= 1")
    losses = [float(v) for v in history.get("loss", [])]
    if len(losses) != len(curve):  # validation_freq > 1: the metric has fewer entries than the loss
        for epoch, loss in enumerate(losses, start=1):
            if not math.isfinite(loss):
                raise FloatingPointError(f"training diverged: loss became {loss} at epoch {epoch}; "
                                         "try a lower learning_rate or another initializer")
        losses = []
    for epoch, (loss, value) in enumerate(zip(losses or curve, curve), start=1):
        if not (math.isfinite(loss) and math.isfinite(value)):
            name = "loss" if not math.isfinite(loss) else metric
            bad = loss if not math.isfinite(loss) else value
            raise FloatingPointError(f"training diverged: {name} became {bad} at epoch {epoch}; "
                                     "try a lower learning_rate or another initializer")
    if objective == "last":
        return curve[-1], len(curve) - 1
    pick = min if direction == "min" else max
    best = pick(curve)
    return best, curve.index(best)


# The objective -------------------------------------------------------------
class KerasObjective:
    """Trains ``model_fn`` on ``data`` for one params dict: ``objective(params, *, seed, budget, resume_from, report)``.

    ``metric`` names a Keras history entry (default ``val_loss``); ``objective``
    is ``"best"`` (best epoch) or ``"last"``; ``artifacts_dir`` holds kept weights;
    ``fit_kwargs`` go to every ``fit`` (see ``fit_options``); ``validation_weights``
    weigh the validation samples of a 4-tuple ``data`` (cross-validation folds
    slice them out of ``fit_kwargs["sample_weight"]``); ``fold`` is the number of the
    cross-validation split this objective trains (called with the trial's seed + fold).
    The constructor only stores its arguments: ``check_space`` (called by ``tune``
    before any trial) validates the data and the space's training options.
    """

    def __init__(self, model_fn: Callable, data: Any, *, metric: str | None = None, objective: str = "best",
                 artifacts_dir: str | os.PathLike | None = None, fit_kwargs: Mapping[str, Any] | None = None,
                 validation_weights: Any = None, fold: int | None = None) -> None:
        self.model_fn = model_fn
        self.fold = fold
        self.fit_kwargs = fit_kwargs
        self.validation_weights = validation_weights
        self.data = data
        self.metric = metric
        self.objective = objective
        self.artifacts_dir = None if artifacts_dir is None else os.fspath(artifacts_dir)
        self.direction: str | None = None
        self.study_seed: int | None = None
        self._arrays: tuple | None = None
        self._cleanup: Any = None
        self._ship = False  # a copy for workers on other machines: weights come back with each outcome
        self._written: list[str] = []
        self._validation_sets: dict[tuple, Any] = {}  # see ``_validation_data``

    def __repr__(self) -> str:
        return f"KerasObjective({getattr(self.model_fn, '__name__', self.model_fn)!r}, metric={self._metric!r})"

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.update(_arrays=None, _cleanup=None,  # arrays are rebuilt from data; the cleanup belongs to this process
                     _validation_sets={})  # tf.data pipelines of this process
        return state

    @property
    def _metric(self) -> str:
        return self.metric or "val_loss"

    @property
    def _direction(self) -> str:
        return self.direction or _direction_of(self._metric)

    @property
    def _talos(self) -> bool:
        return _talos_shaped(self.model_fn)

    def _resolved(self, params: Mapping[str, Any]) -> dict:
        """Params with objects in place of their names (Talos's optimizer classes), for compiling."""
        resolve = getattr(self.model_fn, "resolve_params", None)
        return resolve(dict(params)) if callable(resolve) else dict(params)

    # Before the first trial ------------------------------------------------
    def check_space(self, space: Space | Mapping[str, Any]) -> None:
        """Validate the options, the data and the space's training values; raise ``ValueError`` before any training."""
        self._check_options()
        arrays = self._prepared()
        space = Space.from_any(space)
        check_names(space, kinds=("optimizer",))
        self._check_fit_kwargs(arrays)
        if self._streams:
            for key in ("batch_size", "shuffle", "validation_split"):
                if key in space:
                    raise ValueError(f"{key}: data=(train_ds, val_ds) are datasets, which batch and shuffle themselves "
                                     f"and bring their own validation set; remove {key!r} from the space")
            arrays = ()
        check_data = getattr(self.model_fn, "check_data", None)  # kh.keras.mlp knows its input width and classes
        for i in range(0, len(arrays), 2) if callable(check_data) else ():
            check_data(arrays[i], arrays[i + 1], ("x", "y") if len(arrays) == 2 else ("x_train y_train x_val y_val"
                                                                                     .split()[i:i + 2]))
        n = _n_samples("x", arrays[0]) if arrays else 0
        for key, dist in space.items():
            if key in ("epochs", "batch_size") and isinstance(dist, Float):
                raise ValueError(f"{key}: must be an integer; use kh.Int instead of {dist!r}")
            for value in space_values(dist):
                if key == "shuffle" and not self._talos and not isinstance(value, (bool, np.bool_)):  # "no": true
                    raise ValueError(f"shuffle: must be True or False, got {value!r}")
                if key in ("epochs", "batch_size") and (not isinstance(value, (int, np.integer))
                                                         or isinstance(value, bool) or value < 1):
                    raise ValueError(f"{key}: must be a positive integer, got {value!r}")
                if key == "learning_rate" and (not isinstance(value, numbers.Real) or not value > 0):
                    raise ValueError(f"learning_rate: must be a positive number, got {value!r}")
                if key == "validation_split" and len(arrays) == 2:
                    _check_fraction(value, n)
        if len(arrays) == 4 and "validation_split" in space:
            log.warning("validation_split is ignored: data=(x_train, y_train, x_val, y_val) gives the validation set")
        if len(arrays) == 2:
            splits = space_values(space["validation_split"]) if "validation_split" in space else [DEFAULTS["validation_split"]]
            _warn_one_class_validation(arrays[1], max(splits))

    def _check_fit_kwargs(self, arrays: tuple) -> None:
        fit = check_fit_kwargs(self.fit_kwargs)
        if fit and self._talos:
            raise ValueError("fit_kwargs: a Talos-shaped model_fn(x_train, y_train, x_val, y_val, params) calls fit "
                             "itself; give these options to its own model.fit call")
        weights = fit.get("sample_weight")
        if weights is None:
            return
        if self._streams:
            raise ValueError("fit_kwargs: sample_weight cannot go with a dataset; make the dataset yield "
                             "(x, y, sample_weight) batches instead")
        weights = _as_arrays("fit_kwargs['sample_weight']", weights)
        if not isinstance(weights, np.ndarray) or weights.ndim != 1:
            raise ValueError("fit_kwargs: sample_weight must be a 1-D array, one weight per sample")
        n, name = _n_samples("x", arrays[0]), "x" if len(arrays) == 2 else "x_train"
        if len(weights) != n:
            raise ValueError(f"fit_kwargs: sample_weight has {len(weights)} weights but {name} has {n} samples")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("fit_kwargs: sample_weight must hold finite, non-negative numbers")

    def remote(self) -> KerasObjective:
        """A copy for workers that may not share this machine's disk (a Dask cluster).

        It keeps weights in a temporary folder of its own worker and returns the
        files each trial wrote with its outcome; ``receive_files`` (on the driver)
        puts them in this objective's folder, so ``best_model()`` needs no retraining.
        """
        copy = KerasObjective.__new__(KerasObjective)
        copy.__dict__.update(self.__getstate__())
        copy.artifacts_dir, copy._ship, copy._written = None, True, []
        return copy

    def receive_files(self, files: Mapping[str, bytes]) -> None:
        """Keep the weights a remote worker sent back: its checkpoints, and its best model if it beats ours."""
        meta = json.loads(files[_BEST]) if _BEST in files else None
        for name, content in files.items():
            if name == _BEST or (meta is not None and name == meta.get("file") and not self._is_new_best(meta["value"])):
                continue
            with open(self._path(name), "wb") as handle:
                handle.write(content)
        if meta is not None and self._is_new_best(meta["value"]):
            try:
                with open(self._path(_BEST)) as handle:
                    old = json.load(handle).get("file")
            except (OSError, ValueError):
                old = None
            _write_json(self._path(_BEST), meta)
            if old and old != meta["file"]:
                try:
                    os.remove(self._path(old))
                except OSError:
                    pass

    def files_for(self, resume_from: int) -> dict[str, bytes]:
        """The kept weights of trial ``resume_from`` (on the driver), for a remote worker that continues it."""
        from ..tune import trial_seed

        if self.study_seed is None or self.artifacts_dir is None:
            return {}
        seed = trial_seed(self.study_seed, int(resume_from))
        files = {}
        for name in (f"seed-{seed}.weights.h5", f"seed-{seed}.json"):
            if os.path.exists(self._path(name)):
                with open(self._path(name), "rb") as handle:
                    files[name] = handle.read()
        return files

    def install_files(self, files: Mapping[str, bytes]) -> None:
        """On a remote worker: put the driver's weights of an earlier trial where ``_restore`` finds them."""
        for name, content in files.items():
            with open(self._path(os.path.basename(name)), "wb") as handle:
                handle.write(content)

    def _shipped(self) -> dict[str, bytes]:
        files = {}
        for name in dict.fromkeys(self._written):
            with open(self._path(name), "rb") as handle:
                files[name] = handle.read()
            if name != _BEST and not name.startswith("best-"):
                os.remove(self._path(name))  # checkpoints live on the driver from now on
        self._written.clear()
        return files

    def warm_up(self) -> None:
        """Import Keras (a worker process does this before its first trial, so trial_timeout counts training only)."""
        _keras()

    def bind_study(self, *, seed: int, direction: str) -> None:
        """Called by ``tune`` once the study is known: its seed (to find earlier trials' weights) and direction."""
        self.study_seed, self.direction = int(seed), direction
        self._folder()

    def _check_options(self) -> None:
        if self.objective not in ("best", "last"):
            raise ValueError(f"objective must be 'best' or 'last', got {self.objective!r}")
        if self.metric is not None and (not isinstance(self.metric, str) or not self.metric):
            raise ValueError(f"metric must be a Keras history name such as 'val_accuracy', got {self.metric!r}")

    @property
    def _streams(self) -> bool:
        """True when data is (train_ds, val_ds): datasets that batch themselves."""
        return has_datasets(self.data)

    def _prepared(self) -> tuple:
        """The data as checked arrays (or datasets), kept for this process's trials (a worker checks its copy once)."""
        if self._arrays is None:
            self._arrays = check_datasets(self.data) if self._streams else _prepare(self.data)
        return self._arrays

    def _weights(self, params: Mapping[str, Any]) -> tuple[Any, Any]:
        """(train, validation) sample weights, cut where ``_split`` cuts the samples (Keras's validation_split does so)."""
        weights = (self.fit_kwargs or {}).get("sample_weight")
        if weights is None or len(self._prepared()) == 4:
            return weights, self.validation_weights
        weights = np.asarray(weights)
        fraction = params.get("validation_split", DEFAULTS["validation_split"])
        if fraction == 0:
            return weights, None
        cut = _split_at(len(weights), fraction)
        return weights[:cut], weights[cut:]

    def _split(self, params: Mapping[str, Any]) -> tuple:
        arrays = self._prepared()
        if self._streams:
            return arrays[0], None, arrays[1], None
        if len(arrays) == 4:
            return arrays
        x, y = arrays
        fraction = params.get("validation_split", DEFAULTS["validation_split"])
        n = _n_samples("x", x)
        _check_fraction(fraction, n)
        if fraction == 0:
            return x, y, None, None
        cut = slice(None, _split_at(n, fraction)), slice(_split_at(n, fraction), None)
        return _take(x, cut[0]), _take(y, cut[0]), _take(x, cut[1]), _take(y, cut[1])

    # One trial ----------------------------------------------------------------
    def __call__(self, params: dict, *, seed: int | None = None, budget: float | None = None,
                 resume_from: int | None = None, report: Callable[[int, float], Decision] | None = None) -> Outcome:
        started = time.perf_counter()
        try:
            outcome, _ = self._run(params, seed=seed, budget=budget, resume_from=resume_from, report=report, keep=True)
        finally:
            _collector.after_trial(time.perf_counter() - started)
        if self._ship:
            outcome.files = self._shipped()
        return outcome

    def _run(self, params: Mapping[str, Any], *, seed: int | None, budget: float | None, resume_from: int | None,
             report: Callable | None, keep: bool) -> tuple[Outcome, Any]:
        keras = _keras()
        self._check_options()
        x_train, y_train, x_val, y_val = self._split(params)
        epochs = _epochs(params, budget)
        _clear_session(keras)
        if seed is not None:
            keras.utils.set_random_seed(int(seed))
        if self._talos:
            return self._run_talos(params, (x_train, y_train, x_val, y_val), epochs, budget, resume_from, keep, seed)

        live = self._take_live(resume_from) if keep else None
        if live is not None:  # the arm's trained model is still here: no rebuild, no reload, no retracing
            model, start, history, metric_epochs = live
        else:
            model = self.model_fn(dict(params))
            if not isinstance(model, keras.Model):
                if isinstance(model, (Outcome, Mapping, numbers.Real)) and not isinstance(model, bool):
                    return PlainObjective(lambda _: model, self.metric)(dict(params)), None
                raise TypeError("model_fn must return a keras.Model (or, as a plain objective, a number or a dict), "
                                f"got {type(model).__name__}")
            if not model.compiled:
                _compile(model, self._resolved(params), self._labels(y_train))
            _build_for_fit(model, None if self._streams else (x_train, y_train))
            start, history, metric_epochs = self._restore(model, resume_from, self._input_sample(x_train))
        best_so_far = self._stored_best() if keep else None
        fit = dict(self.fit_kwargs or {})
        watch = _Watch(self._metric, self._direction, report, history, keep_best_below=best_so_far,
                       keep_weights=self.objective == "best", validation_freq=fit.get("validation_freq", 1),
                       metric_epochs=metric_epochs)
        if start < epochs:
            self._fit(model, params, (x_train, y_train, x_val, y_val), fit, epochs, start, watch, seed)
        watch.pruned = watch.pruned and watch.epochs < epochs  # a stop at the last epoch stops nothing
        value, index = _score(watch.history, self._metric, "last" if watch.pruned else self.objective, self._direction)
        epoch = watch.metric_epochs[index] if index < len(watch.metric_epochs) else index + 1
        curve_length = len(watch.history[self._metric])
        metrics = {k: v[index] if len(v) == curve_length else v[epoch - 1] for k, v in watch.history.items()
                   if len(v) in (curve_length, watch.epochs)}  # validation_freq > 1: validation entries are fewer
        metrics.update(epoch=epoch, epochs_trained=watch.epochs, continued_from_epoch=start,
                       history=watch.history)  # history: every epoch
        artifact = None
        if keep:
            if budget is not None:  # a later, longer trial may continue this one
                artifact = self._save_checkpoint(model, seed, watch)
            if not watch.pruned and self._is_new_best(value):
                last = model.get_weights() if budget is not None else None
                if watch.best_weights is not None and self.objective == "best":
                    model.set_weights(watch.best_weights)
                self._save_best(model, seed, value, params, talos=False)
                if last is not None:
                    model.set_weights(last)  # a continuation goes on from the last epoch, not the best one
            if budget is not None and not watch.pruned:
                live_models.put((self.artifacts_dir, seed), model, epochs=watch.epochs, history=watch.history,
                                budget=float(budget), loss=value if self._direction == "min" else -value,
                                metric_epochs=watch.metric_epochs)
        elif watch.best_weights is not None and self.objective == "best":
            model.set_weights(watch.best_weights)
        curve = watch.history[self._metric]
        return Outcome(value=value, metrics=metrics, curve=curve, pruned=watch.pruned, artifact=artifact), model

    def _fit(self, model: Any, params: Mapping[str, Any], split: tuple, fit: dict, epochs: int, start: int,
             watch: _Watch, seed: int | None) -> None:
        """``model.fit`` with keras_hpo's options, the user's ``fit_kwargs`` and fresh copies of their callbacks."""
        x_train, y_train, x_val, y_val = split
        fit.setdefault("verbose", 0)
        callbacks = [watch.callback, *trial_callbacks(fit.pop("callbacks", None), self._run_name(seed))]
        if self._streams:
            model.fit(x_train, validation_data=x_val, epochs=epochs, initial_epoch=start, callbacks=callbacks,
                      shuffle=False, **fit)  # a dataset shuffles itself (Keras warns that it ignores shuffle=True)
            return
        train_weights, val_weights = self._weights(params)
        fit.pop("sample_weight", None)
        validation = self._validation_data(model, params, (x_val, y_val, val_weights), fit)
        model.fit(x_train, y_train, validation_data=validation, epochs=epochs, initial_epoch=start,
                  batch_size=int(params.get("batch_size", DEFAULTS["batch_size"])), sample_weight=train_weights,
                  shuffle=bool(params.get("shuffle", DEFAULTS["shuffle"])), callbacks=callbacks, **fit)

    def _validation_data(self, model: Any, params: Mapping[str, Any], validation: tuple, fit: dict) -> Any:
        """``fit``'s ``validation_data``: the arrays, or the batched pipeline Keras would make of them, made once.

        Given arrays, every ``fit`` call has Keras build a tf.data pipeline of
        the validation set (``ArrayDataAdapter``: three dataset functions traced
        and optimized), which on the digits MLP of ``benchmarks/bandit_keras.py``
        cost 0.05 CPU-s a call, two thirds of an epoch, and a bandit calls ``fit``
        once per trial, mostly for one epoch. Without shuffling that pipeline
        yields the same batches every time, so the objective builds it once per
        validation set and batch size (with Keras's own adapter, so the batches
        are the ones Keras makes) and hands it to every ``fit``: the same
        numbers out (``test_a_trial_trains_as_a_bare_keras_loop``), 0.05 s less
        per trial (``benchmarks/bandit_fixed_cost.py``). Other backends, a
        distribution strategy, or anything the adapter refuses keep the arrays.
        """
        x_val, y_val, weights = validation
        if x_val is None:
            return None
        arrays = (x_val, y_val) if weights is None else (x_val, y_val, weights)
        if (_keras().backend.backend() != "tensorflow" or getattr(model, "_distribute_strategy", None) is not None
                or not all(isinstance(a, np.ndarray) for a in arrays)):
            return arrays
        batch_size = fit.pop("validation_batch_size", None) or int(params.get("batch_size", DEFAULTS["batch_size"]))
        key = (len(self._prepared()) == 2 and params.get("validation_split", DEFAULTS["validation_split"]),
               int(batch_size), weights is not None)
        if key not in self._validation_sets:
            try:
                import tensorflow as tf
                from keras.src.trainers.data_adapters import get_data_adapter

                adapter = get_data_adapter(x_val, y_val, sample_weight=weights, batch_size=int(batch_size))
                batches = adapter.get_tf_dataset().apply(  # its length known, as Keras knows the arrays' batches
                    tf.data.experimental.assert_cardinality(adapter.num_batches))
                self._validation_sets[key] = batches
            except Exception as exc:  # a Keras without this adapter: it gets the arrays, as before
                log.debug("validation set left as arrays (%s)", exc)
                fit["validation_batch_size"] = batch_size
                return arrays
            while len(self._validation_sets) > 8:  # a few batch sizes and splits; never grows with trials
                self._validation_sets.pop(next(iter(self._validation_sets)))
        return self._validation_sets[key]

    def _run_name(self, seed: int | None) -> str:
        """The trial's folder name (``trial-0003``, or ``trial-0003/fold-1`` for a cross-validation split)."""
        if self.fold is None:
            return trial_name(self.study_seed, seed)
        return os.path.join(trial_name(self.study_seed, None if seed is None else seed - self.fold), f"fold-{self.fold}")

    def _labels(self, y: Any) -> Any:
        """The labels to infer a loss from: y itself, or a first batch of the training dataset."""
        return label_sample(self._prepared()[0]) if self._streams else y

    def _input_sample(self, x: Any) -> Any:
        """Inputs to build an input-less model on: x itself, or a first batch of the training dataset."""
        return first_batch(self._prepared()[0])[0] if self._streams else x

    def _run_talos(self, params: Mapping[str, Any], split: tuple, epochs: int, budget: float | None,
                   resume_from: int | None, keep: bool, seed: int | None) -> tuple[Outcome, Any]:
        keras = _keras()
        if resume_from is not None:
            log.info("a Talos-shaped model_fn trains on its own: trial %s is not continued, it trains %d epochs",
                     resume_from, epochs)
        given = dict(params)
        if budget is not None:
            given["epochs"] = epochs
        out = self.model_fn(*split, given)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError(f"a Talos-shaped model_fn must return (history, model), got {type(out).__name__}")
        model = next((o for o in out if isinstance(o, keras.Model)), None)
        history = next((o for o in out if o is not model), None)
        history = getattr(history, "history", history)
        if model is None or not isinstance(history, Mapping):
            raise TypeError("a Talos-shaped model_fn must return (history, model): the History from model.fit and "
                            f"the keras.Model, got ({', '.join(type(o).__name__ for o in out)})")
        value, index = _score(history, self._metric, self.objective, self._direction)
        metrics = {k: float(v[index]) for k, v in history.items()}
        metrics.update(epoch=index + 1, epochs_trained=len(history[self._metric]),
                       history={k: [float(x) for x in v] for k, v in history.items()})
        if keep and self._is_new_best(value):
            self._save_best(model, seed, value, params, talos=True)
        return Outcome(value=value, metrics=metrics, curve=[float(v) for v in history[self._metric]]), model

    # Weights on disk -------------------------------------------------------------
    def _folder(self) -> str:
        if self.artifacts_dir is None:
            self.artifacts_dir = tempfile.mkdtemp(prefix="keras_hpo-")
            self._cleanup = weakref.finalize(self, shutil.rmtree, self.artifacts_dir, ignore_errors=True)
        os.makedirs(self.artifacts_dir, exist_ok=True)
        return self.artifacts_dir

    def _path(self, name: str) -> str:
        """``name`` inside the artifacts folder; ``UnsafePath`` for a name (e.g. read from best.json) that leads out."""
        return inside(self._folder(), name)

    def _stored_best(self) -> float | None:
        try:
            with open(self._path(_BEST)) as handle:
                return float(json.load(handle)["value"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _is_new_best(self, value: float) -> bool:
        return better(value, self._stored_best(), self._direction)

    def _save_best(self, model: Any, seed: int | None, value: float, params: Mapping[str, Any], *, talos: bool) -> None:
        try:
            with open(self._path(_BEST)) as handle:
                old = json.load(handle).get("file")
        except (OSError, ValueError):
            old = None
        name = f"best-seed-{seed}" + (".keras" if talos else ".weights.h5")
        try:
            if talos:
                model.save(self._path(name))
            else:
                model.save_weights(self._path(name))
        except Exception as exc:  # an unserialisable custom object: best_model() will retrain instead
            log.warning("could not keep the best model's weights (%s); best_model() will retrain it", exc)
            return
        _write_json(self._path(_BEST), {"seed": seed, "value": value, "file": name, "params": dict(params)})
        if self._ship:
            self._written += [name, _BEST]
        if old and old != name:
            try:
                os.remove(self._path(old))
            except UnsafePath as exc:  # a tampered best.json: never delete what it points at
                log.warning("best.json named a file outside the artifacts folder; left it alone (%s)", exc)
            except (OSError, TypeError):
                pass

    def _save_checkpoint(self, model: Any, seed: int | None, watch: _Watch) -> str:
        path = self._path(f"seed-{seed}.weights.h5")
        model.save_weights(path)
        _write_json(self._path(f"seed-{seed}.json"), {"epochs": watch.epochs, "history": watch.history,
                                                       "metric_epochs": watch.metric_epochs})
        if self._ship:
            self._written += [f"seed-{seed}.weights.h5", f"seed-{seed}.json"]
        return path

    def _take_live(self, resume_from: int | None) -> tuple[Any, int, dict, list | None] | None:
        """Trial ``resume_from``'s model if this process still holds it (see ``keras_hpo.keras.live``)."""
        if resume_from is None or self.study_seed is None:
            return None
        from ..tune import trial_seed

        return live_models.take((self.artifacts_dir, trial_seed(self.study_seed, int(resume_from))))

    def _restore(self, model: Any, resume_from: int | None, x: Any = None
                 ) -> tuple[int, dict[str, list], list[int] | None]:
        """Load the weights of trial ``resume_from``: the epoch to start from, the history and its metric's epochs."""
        if resume_from is None:
            return 0, {}, None
        if self.study_seed is None:
            log.warning("resume_from=%s: this objective is not bound to a study; training from scratch", resume_from)
            return 0, {}, None
        from ..tune import trial_seed

        seed = trial_seed(self.study_seed, int(resume_from))
        weights, meta = self._path(f"seed-{seed}.weights.h5"), self._path(f"seed-{seed}.json")
        if not (os.path.exists(weights) and os.path.exists(meta)):
            log.warning("trial %s has no kept weights in %s; training from scratch", resume_from, self.artifacts_dir)
            return 0, {}, None
        _load_weights(model, weights, x)
        with open(meta) as handle:
            info = json.load(handle)
        return int(info["epochs"]), info["history"], info.get("metric_epochs")

    # The best model ----------------------------------------------------------------
    def best_model(self, trial: Trial) -> Any:
        """The trained model of ``trial``: its kept weights when there are any, else retrained with its seed."""
        keras = _keras()
        kept = self._kept_file(trial.seed)
        if kept is not None:
            try:
                _clear_session(keras)
                if kept.endswith(".keras"):
                    return keras.saving.load_model(kept, safe_mode=True)  # no Lambda code from a file is run
                if trial.seed is not None:
                    keras.utils.set_random_seed(int(trial.seed))
                model = self.model_fn(dict(trial.params))
                if isinstance(model, keras.Model):
                    if not model.compiled:
                        _compile(model, self._resolved(trial.params), self._labels(self._split(trial.params)[1]))
                    _load_weights(model, kept, self._input_sample(self._split(trial.params)[0]))
                    return model
            except Exception as exc:
                log.warning("could not reload trial %d's weights (%s); retraining it", trial.number, exc)
        log.info("retraining trial %d with its seed to return its model", trial.number)
        _, model = self._run(trial.params, seed=trial.seed, budget=trial.budget, resume_from=None, report=None,
                             keep=False)
        if model is None:
            raise ValueError("there is no model to return: model_fn is a plain objective that returns numbers")
        return model

    def _kept_file(self, seed: int | None) -> str | None:
        if self.artifacts_dir is None:
            return None
        try:
            with open(self._path(_BEST)) as handle:
                best = json.load(handle)
            if best.get("seed") == seed and os.path.exists(self._path(best["file"])):
                return self._path(best["file"])
        except UnsafePath as exc:
            raise UnsafePath(f"{self._path(_BEST)} is not as keras_hpo wrote it: {exc}") from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
        checkpoint = self._path(f"seed-{seed}.weights.h5")
        return checkpoint if os.path.exists(checkpoint) and not self._talos else None


def _epochs(params: Mapping[str, Any], budget: float | None) -> int:
    epochs = params.get("epochs", DEFAULTS["epochs"]) if budget is None else max(1, int(round(budget)))
    if not isinstance(epochs, (int, np.integer)) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    return int(epochs)


def _build_for_fit(model: Any, sample: tuple | None) -> None:
    """Create the optimizer's slots and the compiled metrics' state now, eagerly, so ``fit`` traces its step once.

    With TensorFlow and no distribution strategy, Keras defers that building to
    the first trace of the train step; a ``tf.function`` that creates variables
    is then traced twice (once to lift them, once for good). Most bandit trials
    are a new model's first epoch, where that is the main cost: on the digits MLP
    of ``benchmarks/bandit_keras.py`` the first 1-epoch ``fit`` took 2.02 s as
    Keras does it, 1.27 s with the optimizer built first and 0.94 s with the
    metrics built too (medians of 5, interleaved, load ~7), with the same numbers
    out (``test_a_trial_trains_as_a_bare_keras_loop``). ``sample`` is two
    training samples ``(x, y)`` to build on symbolically (None for datasets:
    then only the optimizer); Keras's own ``_symbolic_build`` does the work. A
    model without an input shape, one under a distribution strategy, and anything
    Keras cannot build this way, is left to ``fit`` as usual.
    """
    if getattr(model, "_distribute_strategy", None) is not None:
        return  # Keras builds it all itself, in the strategy's scope
    if sample is not None and _keras().backend.backend() == "tensorflow":
        build = getattr(model, "_symbolic_build", None)
        metrics = getattr(model, "_compile_metrics", None)
        if callable(build) and model.built and metrics is not None and not metrics.built:
            try:
                build(data_batch=(_take(sample[0], slice(0, 2)), _take(sample[1], slice(0, 2))))
            except Exception as exc:  # a model Keras cannot build symbolically: fit builds it as usual
                log.debug("could not build the model's metrics before fit (%s)", exc)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(optimizer, "built", True) or not model.built:
        return
    try:
        optimizer.build(model.trainable_variables)
    except Exception as exc:  # an exotic optimizer: fit builds it as usual
        log.debug("could not build the optimizer before fit (%s)", exc)


def _load_weights(model: Any, path: str, x: Any = None) -> None:
    """Load weights (and the optimizer's state saved with them) into a freshly built, compiled model.

    A model without an input shape (``keras.Sequential()`` as KerasTuner's guide
    writes it) is built first by calling it on one sample of ``x``.
    """
    if not model.built and x is not None:
        model(_take(x, slice(0, 1)))
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not optimizer.built:
        optimizer.build(model.trainable_variables)
    model.load_weights(path)


def _write_json(path: str, content: dict) -> None:
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "w") as handle:
        json.dump(content, handle)
    os.replace(tmp, path)


def _compile(model: Any, params: Mapping[str, Any], y: Any) -> None:
    """Compile an uncompiled model with the optimizer, learning rate and loss from params (loss inferred if absent)."""
    loss, metrics = params.get("loss"), []
    if loss is None:
        loss, metrics = _infer_loss(model, y)
    model.compile(optimizer=make_optimizer(params.get("optimizer", "adam"), params.get("learning_rate")),
                  loss=loss, metrics=metrics)


def _infer_loss(model: Any, y: Any) -> tuple[Any, list[str]]:
    """A loss that fits the labels and the output layer: (sparse) categorical or binary cross-entropy, else MSE."""
    keras = _keras()
    if len(model.outputs) != 1 or not isinstance(y, np.ndarray):
        raise ValueError("the model has several outputs: compile it in model_fn, or give params['loss']")
    outputs = model.outputs[0].shape[-1]
    activation = getattr(getattr(model.layers[-1], "activation", None), "__name__", "linear")
    integral = np.issubdtype(y.dtype, np.integer) or (np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)))
    if outputs and outputs > 1:
        logits = activation != "softmax"
        if integral and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
            return keras.losses.SparseCategoricalCrossentropy(from_logits=logits), ["accuracy"]
        if y.ndim == 2 and y.shape[1] == outputs and np.allclose(y.sum(axis=1), 1):
            return keras.losses.CategoricalCrossentropy(from_logits=logits), ["accuracy"]
    if outputs == 1 and integral and set(np.unique(y)) <= {0, 1} and activation == "sigmoid":
        return keras.losses.BinaryCrossentropy(), ["accuracy"]
    return keras.losses.MeanSquaredError(), ["mae"]
