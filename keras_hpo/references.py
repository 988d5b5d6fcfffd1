"""Keras objects and callables as choice values: a stable readable name for each, and the way back.

Talos params hold optimizer classes and activation functions (``[Adam, Adagrad]``,
``[relu, elu]``). The space keeps such a value by its name (``"keras.optimizers.Adam"``),
so searchers, storage, de-duplication and tables only ever see JSON strings, and
the model function is handed the object itself (``Space.resolve``). Classes and
functions are named by a public import path that leads back to the very same
object; Keras instances (a loss object) by their class and non-default config,
with the config kept as a JSON spec so a stored space can rebuild them.

>>> import keras_hpo.references as refs
>>> import json
>>> name = refs.name_of(json.dumps)
>>> name, refs.resolve(name) is json.dumps
('json.dumps', True)
"""

from __future__ import annotations

import importlib
import json
from typing import Any

__all__ = ["is_reference", "name_of", "spec_of", "resolve"]

_PRIMITIVES = (str, int, float, bool, type(None))


def is_reference(value: Any) -> bool:
    """Whether ``value`` is an object to be named (anything that is not a JSON primitive or a NumPy number)."""
    if isinstance(value, _PRIMITIVES):
        return False
    return not (type(value).__module__ == "numpy" and hasattr(value, "item"))


def _import_path(path: str) -> Any:
    """The object at a dotted path such as ``keras.optimizers.Adam`` (the longest importable module, then attributes)."""
    parts = path.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            continue
        return obj
    raise LookupError(f"cannot import {path!r}")


def _public_path(obj: Any) -> str:
    """``keras.optimizers.Adam`` rather than ``keras.src.optimizers.adam.Adam`` when the public alias is the same object."""
    module, qualname = getattr(obj, "__module__", None) or "", getattr(obj, "__qualname__", None) or ""
    candidates = []
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "src":  # Keras 3 keeps its code in keras.src.<area>...
        candidates.append(f"{parts[0]}.{parts[2]}.{qualname}")
    for depth in range(1, len(parts)):
        candidates.append(f"{'.'.join(parts[:depth])}.{qualname}")
    for candidate in candidates:
        try:
            if _import_path(candidate) is obj:
                return candidate
        except LookupError:
            continue
    return f"{module}.{qualname}" if module else qualname


def name_of(value: Any) -> str:
    """The stable readable name of a class, function or Keras object."""
    if isinstance(value, type) or callable(value) and hasattr(value, "__qualname__"):
        return _public_path(value)
    spec = spec_of(value)
    if spec is None:
        return repr(value)
    default = _default_config(type(value))
    shown = [f"{k}={v!r}" for k, v in spec["config"].items() if default is None or default.get(k, object()) != v]
    return f"{spec['class']}({', '.join(shown)})"


def _default_config(cls: type) -> dict | None:
    try:
        return cls().get_config()
    except Exception:
        return None


def spec_of(value: Any) -> dict | None:
    """A JSON spec that rebuilds an instance (``{"class": ..., "config": ...}``), None for classes and functions."""
    if isinstance(value, type) or not hasattr(value, "get_config"):
        return None
    try:
        config = value.get_config()
        json.dumps(config)
    except Exception:
        return None
    return {"class": _public_path(type(value)), "config": config}


def resolve(name: str, spec: dict | None = None) -> Any:
    """The object a name stands for: imported by its path, or rebuilt from its spec."""
    try:
        if spec is not None:
            cls = _import_path(spec["class"])
            config = dict(spec["config"])
            return cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
        return _import_path(name)
    except Exception as exc:
        raise LookupError(f"cannot find the object named {name!r} ({exc}); a stored space can only hand back objects "
                          "that can be imported by name, so define it at the top level of a module") from None
