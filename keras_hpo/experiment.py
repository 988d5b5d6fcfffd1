"""Experiments done right: every configuration trained on several train/validation splits.

A single validation split rewards the configuration that got lucky with it. With
``cv=`` each trial is trained once per split and scored by the mean; its spread
(``metrics["value_std"]``) and per-split values (``trial.folds``) are kept. The
splits depend only on the seed, so every configuration sees the same ones.

- ``cv=5`` or ``kh.CV(k=5, repeats=2, stratify=None, shuffle=True, seed=None)``: (repeated) k-fold;
- ``kh.Holdout(fraction=0.2, repeats=5)``: repeated random hold-out.

``stratify=None`` stratifies when ``y`` holds class labels (integers, strings or
one-hot rows). ``result.reevaluate(top=5, repeats=10)`` then retrains the best
configurations on fresh splits and seeds and says whether their ranking holds.

>>> import numpy as np
>>> folds = CV(k=3, seed=0).splits(np.array([0, 1] * 6))
>>> [len(validation) for _, validation in folds]
[4, 4, 4]
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from .objective import Outcome, make_objective

__all__ = ["CV", "Holdout", "as_splitter", "CrossValidated"]


def _positive_int(name: str, value: Any) -> None:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")


def class_labels(y: Any) -> np.ndarray | None:
    """``y`` as one label per sample when it looks like classes (ints, strings, bools, one-hot rows), else None."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1 and np.isin(y, (0, 1)).all() and (y.sum(axis=1) == 1).all():
        return y.argmax(axis=1)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        return None
    if y.dtype.kind in "biuUSO" or (y.dtype.kind == "f" and np.all(y == np.round(y))):
        uniques = np.unique(y)
        if len(uniques) <= max(2, min(100, len(y) // 2)):
            return y
    return None


def _assign(labels: np.ndarray | None, n: int, parts: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Split ``range(n)`` into ``parts`` groups, each class dealt evenly across them when labels are given."""
    groups: list[list[np.ndarray]] = [[] for _ in range(parts)]
    strata = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
    offset = 0
    for members in strata:
        if rng is not None:
            members = rng.permutation(members)
        for j, chunk in enumerate(np.array_split(members, parts)):
            groups[(j + offset) % parts].append(chunk)
        offset += len(members) % parts  # rotate so small classes do not pile into the first folds
    return [np.sort(np.concatenate(g)) if g else np.array([], dtype=int) for g in groups]


@dataclass(frozen=True)
class CV:
    """(Repeated, stratified) k-fold cross-validation; each repeat reshuffles the folds."""

    k: int = 5
    repeats: int = 1
    stratify: bool | None = None
    shuffle: bool = True
    seed: int | None = None

    def check(self) -> None:
        _positive_int("k", self.k)
        _positive_int("repeats", self.repeats)
        if self.k < 2:
            raise ValueError(f"k must be at least 2 folds, got {self.k}")
        if self.repeats > 1 and not self.shuffle:
            raise ValueError("repeats > 1 needs shuffle=True, or every repeat gives the same folds")

    def splits(self, y: Any, seed: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """``(train_indices, validation_indices)`` for every fold of every repeat."""
        self.check()
        n = len(y)
        if n < self.k:
            raise ValueError(f"cv: {n} samples cannot make {self.k} folds")
        labels = _labels_for(y, self.stratify)
        rng = np.random.default_rng(self.seed if self.seed is not None else seed)
        out = []
        for _ in range(self.repeats):
            folds = _assign(labels, n, self.k, rng if self.shuffle else None)
            for j, validation in enumerate(folds):
                train = np.sort(np.concatenate([f for i, f in enumerate(folds) if i != j]))
                out.append((train, validation))
        return out


@dataclass(frozen=True)
class Holdout:
    """Repeated hold-out: ``repeats`` random splits, ``fraction`` of the samples for validation each time."""

    fraction: float = 0.2
    repeats: int = 5
    stratify: bool | None = None
    seed: int | None = None

    def check(self) -> None:
        _positive_int("repeats", self.repeats)
        if not isinstance(self.fraction, numbers.Real) or not 0 < self.fraction < 1:
            raise ValueError(f"fraction must be between 0 and 1, got {self.fraction!r}")

    def splits(self, y: Any, seed: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        self.check()
        n = len(y)
        labels = _labels_for(y, self.stratify)
        rng = np.random.default_rng(self.seed if self.seed is not None else seed)
        out = []
        for _ in range(self.repeats):
            strata = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c) for c in np.unique(labels)]
            validation = np.concatenate([rng.permutation(m)[: max(1, round(self.fraction * len(m)))] for m in strata])
            if len(validation) >= n:
                raise ValueError(f"fraction={self.fraction} leaves no training samples out of {n}")
            out.append((np.setdiff1d(np.arange(n), validation), np.sort(validation)))
        return out


def _labels_for(y: Any, stratify: bool | None) -> np.ndarray | None:
    if stratify is False:
        return None
    labels = class_labels(y)
    if stratify and labels is None:
        raise ValueError("stratify=True needs class labels in y (integers, strings or one-hot rows)")
    return labels


def as_splitter(cv: Any) -> CV | Holdout:
    """``cv=`` as a splitter: an int k, a ``CV`` or a ``Holdout``; checked before any training."""
    if isinstance(cv, bool):
        raise TypeError(f"cv must be an int, kh.CV(...) or kh.Holdout(...), got {cv!r}")
    if isinstance(cv, (int, np.integer)):
        cv = CV(k=int(cv))
    if not isinstance(cv, (CV, Holdout)):
        raise TypeError(f"cv must be an int, kh.CV(...) or kh.Holdout(...), got {type(cv).__name__}")
    cv.check()
    return cv


def take_rows(value: Any, rows: np.ndarray) -> Any:
    """The samples ``rows`` of an array, or of every array in a dict/list (multi-input models)."""
    if isinstance(value, Mapping):
        return {k: take_rows(v, rows) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(take_rows(v, rows) for v in value)
    return np.asarray(value)[rows]


class CrossValidated:
    """The objective of a cross-validated trial: the mean over splits of the inner objective's value."""

    def __init__(self, model_fn: Any, data: Any, cv: CV | Holdout, *, metric: str | None = None,
                 **keras_options: Any) -> None:
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError("cv: cross-validation splits data=(x, y) itself; do not pass a validation set")
        self.model_fn, self.x, self.y = model_fn, data[0], data[1]
        self.cv, self.metric, self.keras_options = cv, metric, keras_options
        self.study_seed: int | None = None
        self.direction: str | None = None
        self._splits: list | None = None

    def splits(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._splits is None:
            self._splits = self.cv.splits(self.y, self.study_seed)
        return self._splits

    def _fold_objective(self, train: np.ndarray, validation: np.ndarray, fold: int = 0) -> Any:
        data = (take_rows(self.x, train), take_rows(self.y, train), take_rows(self.x, validation),
                take_rows(self.y, validation))
        options = {k: v for k, v in self.keras_options.items() if k != "artifacts_dir"}
        weights = (options.get("fit_kwargs") or {}).get("sample_weight")
        if weights is not None:  # each fold trains and validates on its own rows' weights
            weights = np.asarray(weights)
            if weights.ndim != 1 or len(weights) != len(self.y):
                raise ValueError(f"fit_kwargs: sample_weight must hold one weight per sample of y ({len(self.y)}), "
                                 f"got shape {weights.shape}")
            options["fit_kwargs"] = {**options["fit_kwargs"], "sample_weight": weights[train]}
            options["validation_weights"] = weights[validation]
        if options.get("fit_kwargs"):
            options["fold"] = fold  # names the fold's TensorBoard folder, trial-0003/fold-1
        objective = make_objective(self.model_fn, data=data, metric=self.metric, **options)
        if self.direction is not None and hasattr(objective, "bind_study"):
            objective.bind_study(seed=self.study_seed or 0, direction=self.direction)
        return objective

    def check_space(self, space: Any) -> None:
        train, validation = self.splits()[0]
        check = getattr(self._fold_objective(train, validation), "check_space", None)
        if callable(check):
            check(space)

    def bind_study(self, *, seed: int, direction: str) -> None:
        self.study_seed, self.direction = int(seed), direction
        self._splits = None  # the study's seed fixes the splits (unless the splitter has its own)

    def reseeded(self, seed: int) -> CrossValidated:
        """The same experiment on fresh splits (for ``result.reevaluate``)."""
        twin = CrossValidated(self.model_fn, (self.x, self.y), replace(self.cv, seed=seed), metric=self.metric,
                              **self.keras_options)
        twin.study_seed, twin.direction = seed, self.direction
        return twin

    def __call__(self, params: dict, *, seed: int | None = None, budget: float | None = None,
                 resume_from: Any = None, report: Any = None) -> Outcome:
        values: list[float] = []
        metrics: dict[str, list[float]] = {}
        for i, (train, validation) in enumerate(self.splits()):
            outcome = self._fold_objective(train, validation, i)(
                params, seed=None if seed is None else seed + i, budget=budget)
            if not (isinstance(outcome.value, numbers.Real) and math.isfinite(outcome.value)):
                raise ValueError(f"split {i + 1} of {len(self.splits())} gave {outcome.value!r}")
            values.append(float(outcome.value))
            for name, value in outcome.metrics.items():
                if isinstance(value, numbers.Real):
                    metrics.setdefault(name, []).append(float(value))
        summary = {name: float(np.mean(v)) for name, v in metrics.items() if len(v) == len(values)}
        summary["value_std"] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        return Outcome(value=float(np.mean(values)), metrics=summary, folds=values)

    def best_model(self, trial: Any) -> Any:
        """The trial's configuration trained on all of ``(x, y)`` (its validation split from params), with its seed."""
        objective = make_objective(self.model_fn, data=(self.x, self.y), metric=self.metric,
                                   **{k: v for k, v in self.keras_options.items() if k != "artifacts_dir"})
        if not hasattr(objective, "best_model"):
            raise ValueError("there is no model to return: model_fn is a plain objective")
        return objective.best_model(trial)
