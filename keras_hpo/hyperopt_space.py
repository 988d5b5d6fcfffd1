"""Hyperopt spaces as they are: ``hp.*`` expressions to a flat ``Space``, and params back to Hyperopt's nested shape.

``kh.tune(objective, space, method=...)`` takes what ``hyperopt.fmin`` takes: a
dict (or list, or a top-level ``hp.choice``) of ``hp.*`` expressions, nested at
will. Each label becomes one parameter of a flat ``Space``:

==============================  ==============================================
``hp.uniform(l, h)``            ``Float(l, h)``
``hp.loguniform(l, h)``         ``Float(exp(l), exp(h), log=True)``
``hp.quniform(l, h, q)``        ``Float(.., step=q)`` (``Int`` under ``scope.int``, as ``hp.uniformint``)
``hp.qloguniform(l, h, q)``     ``Float(.., log=True)``, rounded to ``q`` when handed over (``Int`` for ``q=1`` under ``scope.int``)
``hp.randint(n)`` / ``(l, h)``  ``Int(0, n - 1)`` / ``Int(l, h - 1)``
``hp.choice`` / ``hp.pchoice``  ``Choice`` of the options (see below)
==============================  ==============================================

A choice whose options hold further ``hp.*`` expressions makes those labels
conditional: ``when={choice_label: [the options holding them]}``. A choice is
kept by readable values, never by index: its options themselves when they are
plain values (or Keras objects), else the string that a shared key of the option
dicts holds (``{"type": "svm", ...}`` gives ``"svm"``), else the option's position.
``hp.pchoice``'s probabilities stay in the expression: Hyperopt's searchers draw
by them, the others draw the options alike, with a warning (``warn_unused_weights``).

The objective receives exactly what ``fmin`` would hand it: the flat params are
mapped back to Hyperopt's raw values and the original expression is evaluated
with ``hyperopt.space_eval``. Its ``{"loss": ..., "status": "ok"}`` returns keep
working, and ``"status": "fail"`` makes the trial FAILED. With ``method="tpe"``
the Hyperopt searcher runs on the original expression, so with the same seed it
proposes what ``fmin(..., rstate=np.random.default_rng(seed))`` proposes.
Normal-type distributions (``hp.normal``, ``hp.lognormal`` and their ``q``
forms) are unbounded, and every other searcher needs bounds: they are refused
with the label named.

>>> from hyperopt import hp
>>> import keras_hpo as kh
>>> space = {"x": hp.uniform("x", -2, 2),
...          "model": hp.choice("model", [{"type": "a"}, {"type": "b", "c": hp.quniform("c", 0, 4, 1)}])}
>>> result = kh.tune(lambda p: p["x"] ** 2 + p["model"].get("c", 5), space, method="random",
...                  max_trials=30, seed=0, progress=False)
>>> result.best_params["model"], "c" in result.best_params
('b', True)
"""

from __future__ import annotations

import logging
import math
import numbers
import sys
from collections.abc import Callable, Mapping
from typing import Any

from .compat import ParamsAdapter
from .space import Choice, Float, Int, Space, with_when

__all__ = ["is_hyperopt_space", "from_hyperopt", "HyperoptParams", "warn_unused_weights"]

log = logging.getLogger("keras_hpo")

_UNBOUNDED = ("normal", "qnormal", "lognormal", "qlognormal")


def _apply_class() -> type | None:
    """Hyperopt's expression class, if Hyperopt was imported (a space cannot hold its expressions otherwise)."""
    base = sys.modules.get("hyperopt.pyll.base")
    return getattr(base, "Apply", None)


def is_hyperopt_space(space: Any) -> bool:
    """Whether ``space`` holds a Hyperopt expression anywhere (a ``Space`` or a plain dict of values does not)."""
    if isinstance(space, Space):
        return False
    apply = _apply_class()
    if apply is None:
        return False

    def walk(value: Any) -> bool:
        if isinstance(value, apply):
            return True
        if isinstance(value, Mapping):
            return any(walk(v) for v in value.values())
        if isinstance(value, (list, tuple)):
            return any(walk(v) for v in value)
        return False

    return walk(space)


def _literal(label: str, node: Any, what: str) -> Any:
    if getattr(node, "name", None) != "literal":
        raise ValueError(f"parameter {label!r}: {what} must be a number, not an expression")
    return node.obj


class _Codec:
    """One label: its distribution and how its value maps to Hyperopt's raw record (index for choices)."""

    def __init__(self, dist: Any, quantum: float | None = None) -> None:
        self.dist, self.quantum = dist, quantum

    def to_raw(self, value: Any) -> Any:
        if isinstance(self.dist, Choice):
            return self.dist.index(value)
        return float(value) if isinstance(self.dist, Float) else value

    def from_raw(self, raw: Any) -> Any:
        d = self.dist
        if isinstance(d, Choice):
            return d.values()[int(raw)]
        value = min(max(float(raw), d.low), d.high)
        if isinstance(d, Int):
            return int(round(value))
        return d._level(int(round((value - d.low) / d.step))) if d.step is not None else value

    def handed(self, value: Any) -> Any:
        """The raw value given to ``space_eval``: an index for choices, the value rounded to ``q`` for ``qloguniform``."""
        raw = self.to_raw(value)
        if self.quantum is not None:
            raw = max(self.quantum, round(raw / self.quantum) * self.quantum)
        return raw


def _distribution(label: str, node: Any, as_int: bool) -> tuple[Any, float | None]:
    """The ``Space`` distribution for one ``hyperopt_param`` node's prior (``node`` is the prior)."""
    kind, arg = node.name, node.arg

    def num(name: str) -> float:
        return _literal(label, arg[name], f"hp.{kind}'s {name}")

    if kind in _UNBOUNDED:
        raise ValueError(f"parameter {label!r}: hp.{kind} has no bounds, and keras_hpo's searchers need a bounded "
                         "range; use hp.uniform / hp.loguniform (or their q forms) with low and high")
    if kind == "uniform":
        return Float(num("low"), num("high")), None
    if kind == "loguniform":
        return Float(_clean(math.exp(num("low"))), _clean(math.exp(num("high"))), log=True), None
    if kind == "quniform":
        q = num("q")
        low, high = round(num("low") / q) * q, round(num("high") / q) * q
        if as_int and float(q).is_integer():
            return Int(int(low), int(high), step=int(q)), None
        return Float(_clean(low), _clean(high), step=q), None
    if kind == "qloguniform":
        q = num("q")
        low, high = max(q, round(math.exp(num("low")) / q) * q), round(math.exp(num("high")) / q) * q
        if as_int and q == 1:
            return Int(int(low), int(high), log=True), None
        return Float(_clean(low), _clean(high), log=True), q
    if kind == "randint":
        low, high = arg["low"], arg["high"]
        if getattr(high, "name", None) != "literal":  # hp.randint(label, upper)
            return Int(0, int(_literal(label, low, "hp.randint's upper")) - 1), None
        return Int(int(_literal(label, low, "hp.randint's low")), int(_literal(label, high, "hp.randint's high")) - 1), None
    raise ValueError(f"parameter {label!r}: cannot map the Hyperopt expression {kind!r} to a keras_hpo distribution; "
                     "use hp.uniform, hp.loguniform, hp.quniform, hp.qloguniform, hp.randint, hp.choice or hp.pchoice")


def _clean(value: float) -> float:
    return float(f"{float(value):.12g}")


def _option_values(label: str, options: list) -> list:
    """Readable values for a choice's options: plain values, else a shared key's distinct strings, else positions."""
    plain = [o.obj for o in options if getattr(o, "name", None) == "literal"]
    if len(plain) == len(options) and not any(isinstance(v, (dict, list, tuple)) for v in plain):
        return plain
    literal_dicts = []
    for option in options:
        if getattr(option, "name", None) == "dict":
            literal_dicts.append({k: v.obj for k, v in option.named_args if getattr(v, "name", None) == "literal"
                                  and isinstance(v.obj, str)})
        elif getattr(option, "name", None) == "literal" and isinstance(option.obj, dict):
            literal_dicts.append({k: v for k, v in option.obj.items() if isinstance(v, str)})
    if len(literal_dicts) == len(options):
        for key in literal_dicts[0]:
            names = [d.get(key) for d in literal_dicts]
            if all(isinstance(n, str) for n in names) and len(set(names)) == len(names):
                return names
    return list(range(len(options)))


class _Walker:
    """Collects every label of an expression, with its distribution and the choice branch it sits in."""

    def __init__(self) -> None:
        self.dists: dict[str, Any] = {}
        self.codecs: dict[str, _Codec] = {}
        self.nodes: dict[str, Any] = {}
        self.conditions: dict[str, list] = {}  # label -> conditions it was seen under (None: unconditional)
        self.weighted: list[str] = []  # the labels of hp.pchoice, whose probabilities only Hyperopt's searchers use

    def walk(self, node: Any, condition: tuple | None, as_int: bool = False) -> None:
        name = getattr(node, "name", None)
        if name == "switch" and getattr(node.pos_args[0], "name", None) == "hyperopt_param":
            param, options = node.pos_args[0], list(node.pos_args[1:])
            label = param.arg["label"].obj
            dist = Choice(_option_values(label, options))
            self._add(label, param, dist, _Codec(dist), condition)
            if getattr(param.pos_args[1], "name", None) == "categorical":  # hp.pchoice: weighted options
                self.weighted.append(label)
            for value, option in zip(dist.values(), options):
                self.walk(option, (label, value))
            return
        if name == "hyperopt_param":
            label = node.arg["label"].obj
            try:
                dist, quantum = _distribution(label, node.pos_args[1], as_int)
            except (ValueError, TypeError):
                raise
            except Exception as exc:
                raise ValueError(f"parameter {label!r}: cannot map this Hyperopt expression ({exc})") from None
            self._add(label, node, dist, _Codec(dist, quantum), condition)
            return
        if name == "int":
            inner = node.pos_args[0]
            while getattr(inner, "name", None) == "float":
                inner = inner.pos_args[0]
            if getattr(inner, "name", None) == "hyperopt_param":
                self.walk(inner, condition, as_int=True)
                return
        for child in getattr(node, "inputs", lambda: [])():
            self.walk(child, condition, as_int)

    def _add(self, label: str, node: Any, dist: Any, codec: _Codec, condition: tuple | None) -> None:
        if label in self.nodes and self.nodes[label] is not node:
            raise ValueError(f"parameter {label!r}: two different Hyperopt expressions share this label")
        if label not in self.nodes:
            self.nodes[label], self.dists[label], self.codecs[label] = node, dist, codec
        self.conditions.setdefault(label, []).append(condition)

    def space(self) -> Space:
        if not self.dists:
            raise ValueError("space: the Hyperopt space holds no hp.* expression to search")
        params = {}
        for label, dist in self.dists.items():
            seen = self.conditions[label]
            parents = {c[0] for c in seen if c is not None}
            if None in seen or len(parents) != 1:  # unconditional somewhere, or under two choices: always active
                params[label] = dist
            else:
                when = {parents.pop(): [c[1] for c in seen]}
                params[label] = with_when(dist, when)
        return Space(params)



class HyperoptParams(ParamsAdapter):
    """Hands the user's function the nested structure ``fmin`` would, and reads its ``{"loss", "status"}`` returns."""

    def __init__(self, fn: Callable, space: Space, expr: Any, codecs: dict[str, _Codec]) -> None:
        super().__init__(fn, space)
        self.expr, self.codecs = expr, codecs

    def convert(self, params: dict) -> Any:
        from hyperopt import space_eval

        raw = {label: self.codecs[label].handed(value) for label, value in params.items() if label in self.codecs}
        return space_eval(self.expr, raw)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        result = super().__call__(*args, **kwargs)
        if isinstance(result, Mapping) and "status" in result:
            if result["status"] != "ok":
                raise RuntimeError(f"the objective returned status {result['status']!r}"
                                   + (f": {result['failure']}" if "failure" in result else ""))
            return {k: v for k, v in result.items() if isinstance(v, numbers.Real) and not isinstance(v, bool)}
        return result


def from_hyperopt(model_fn: Callable, space: Any) -> tuple[HyperoptParams, Space]:
    """The flat ``Space`` of a Hyperopt space and the adapter that calls ``model_fn`` as ``fmin`` would."""
    from hyperopt.pyll import as_apply

    expr = as_apply(space)
    walker = _Walker()
    walker.walk(expr, None)
    flat = walker.space()
    flat.hyperopt = (expr, walker.codecs)  # the Hyperopt searchers search the original expression (same proposals as fmin)
    flat.weighted_choices = tuple(dict.fromkeys(walker.weighted))
    return HyperoptParams(model_fn, flat, space, walker.codecs), flat


def warn_unused_weights(space: Space, searcher: Any) -> None:
    """Say so when ``hp.pchoice`` probabilities will not be used: only Hyperopt's own searchers read them."""
    labels = getattr(space, "weighted_choices", ())
    if not labels:
        return
    from .searchers.hyperopt_tpe import HyperoptSearcher

    proposer = getattr(searcher, "searcher", None)  # a bandit's arms come from its searcher= method
    if not any(isinstance(s, HyperoptSearcher) or s in ("tpe", "anneal", "hyperopt_random") for s in (searcher, proposer)):
        log.warning("hp.pchoice %s: its probabilities are used by method='tpe', 'anneal' and 'hyperopt_random' "
                    "(Hyperopt's own search of the expression); method=%r draws its options alike",
                    ", ".join(repr(label) for label in labels), getattr(searcher, "name", type(searcher).__name__))
