"""Bring your own code: what ``tune`` does with a KerasTuner ``build(hp)``, a Hyperopt space or Talos objects.

``prepare(model_fn, space)`` returns a ``Space`` and a model function that takes
the flat params dict every searcher proposes. In between sits a ``ParamsAdapter``
that turns those flat params into what the user's function expects:

- ``space`` left out and ``model_fn(hp)``: the space is discovered from the
  function's ``hp.Int/Float/Choice/...`` calls (``keras_hpo.define_by_run``) and
  the function gets a KerasTuner-style ``hp`` object holding the trial's values;
  a ``keras_tuner.HyperModel`` instance is its ``build(hp)`` (``from_hypermodel``);
- a Hyperopt space (``hp.*`` expressions, nested): flattened to a ``Space``
  (``keras_hpo.hyperopt_space``) and the function gets the nested structure
  ``hyperopt.fmin`` would give it;
- a space whose choices hold objects (Talos's ``[Adam, Adagrad]``): the function
  gets the objects, the searchers and the store their names.

The adapter keeps the user function's signature (so the Talos shape and the
optional ``seed``/``report`` arguments are still recognised) and its attributes.

>>> import keras_hpo as kh
>>> fn, space = prepare(lambda params: params["f"](4.0), {"f": [abs, float]})
>>> list(space["f"].values()), fn({"f": "builtins.abs"})
(['builtins.abs', 'builtins.float'], 4.0)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .space import Space

__all__ = ["prepare", "ParamsAdapter", "from_hypermodel"]


class ParamsAdapter:
    """Calls ``fn`` with its last positional argument (the params dict) passed through ``convert`` first."""

    def __init__(self, fn: Callable, space: Space) -> None:
        self.fn = fn
        self.space = space

    def convert(self, params: dict) -> Any:
        """What ``fn`` receives for the flat ``params`` (here: names of objects replaced by the objects)."""
        return self.space.resolve(params)

    def resolve_params(self, params: dict) -> dict:
        """The flat params with objects in place of their names (for compiling an uncompiled model)."""
        return self.space.resolve(params)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if not args:
            raise TypeError("the model function needs its params as the last positional argument")
        return self.fn(*args[:-1], self.convert(args[-1]), **kwargs)

    @property
    def __signature__(self) -> inspect.Signature:
        return inspect.signature(self.fn)

    @property
    def __name__(self) -> str:
        return getattr(self.fn, "__name__", type(self.fn).__name__)

    def __getattr__(self, name: str) -> Any:  # needs_data, check_space, ... of the user's function
        if name.startswith("__") or name in ("fn", "space"):
            raise AttributeError(name)
        return getattr(self.fn, name)


def _hypermodel_base(obj: Any) -> type | None:
    """KerasTuner's ``HyperModel`` class when ``obj`` is an instance of it (found by name: no import of keras_tuner)."""
    if isinstance(obj, type):
        return None
    return next((c for c in type(obj).__mro__
                 if c.__name__ == "HyperModel" and c.__module__.split(".")[0] == "keras_tuner"), None)


def from_hypermodel(model_fn: Any) -> Any:
    """A KerasTuner ``HyperModel`` instance becomes its ``build(hp)``; anything else is returned as it is.

    Its space is then discovered as for a ``build_model(hp)``. A ``fit(hp, model, ...)`` of its own is refused
    up front: keras_hpo trains the built model itself, so the hyperparameters and the training code in that
    ``fit`` would be silently skipped.
    """
    base = _hypermodel_base(model_fn)
    if base is None:
        return model_fn
    if getattr(type(model_fn), "fit", None) is not getattr(base, "fit", None):
        raise TypeError(f"model_fn: {type(model_fn).__name__} overrides keras_tuner.HyperModel.fit, which keras_hpo "
                        "does not call (it trains the built model itself); declare fit's hyperparameters in build "
                        "instead (hp.Choice('batch_size', [32, 64]), hp.Fixed('epochs', 10), hp.Boolean('shuffle')), "
                        "they go to model.fit, and drop the fit override (or pass hypermodel.build)")
    return model_fn.build


_HP_CALLS = frozenset({"Int", "Float", "Choice", "Boolean", "Fixed", "conditional_scope"})


def _declares_hp(fn: Callable) -> bool:
    """Whether ``fn(hp)``'s own body calls ``hp.Int``/``hp.Choice``/...: KerasTuner style, so a dict would fail."""
    import dis

    from .define_by_run import takes_hp

    code = getattr(inspect.unwrap(fn), "__code__", None)
    if code is None or not takes_hp(fn):
        return False
    name = next(iter(inspect.signature(fn).parameters))
    steps = list(dis.get_instructions(code))
    return any(a.opname == "LOAD_FAST" and a.argval == name and b.opname in ("LOAD_ATTR", "LOAD_METHOD")
               and b.argval in _HP_CALLS for a, b in zip(steps, steps[1:]))


def prepare(model_fn: Callable, space: Any) -> tuple[Callable, Space]:
    """The model function over flat params and the ``Space`` for what ``tune`` was given."""
    if space is not None and _declares_hp(model_fn):  # it would get a dict: every trial an AttributeError
        raise ValueError("space: this model_fn(hp) declares its own space (hp.Int, hp.Choice, ...), so leave space "
                         "out and it is discovered; a fixed training key goes in it too, e.g. hp.Fixed('epochs', 20)")
    if space is None:
        from .define_by_run import discover, takes_hp

        if not takes_hp(model_fn):
            raise ValueError("space: give the search space (a dict or kh.Space), or write model_fn(hp) with "
                             "KerasTuner-style hp.Int/hp.Float/hp.Choice calls so the space can be discovered")
        return discover(model_fn)
    from .hyperopt_space import is_hyperopt_space

    if is_hyperopt_space(space):
        from .hyperopt_space import from_hyperopt

        return from_hyperopt(model_fn, space)
    space = Space.from_any(space)
    if space.has_objects:
        return ParamsAdapter(model_fn, space), space
    return model_fn, space
