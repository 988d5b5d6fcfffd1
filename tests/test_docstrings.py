"""The runnable examples in the core modules' docstrings stay true."""

import doctest
import importlib

import matplotlib
import pytest

CORE_MODULES = [
    "keras_hpo", "keras_hpo.space", "keras_hpo.trial", "keras_hpo.tune", "keras_hpo.result", "keras_hpo.objective",
    "keras_hpo.plots", "keras_hpo.searchers", "keras_hpo.searchers.base", "keras_hpo.searchers.random",
    "keras_hpo.searchers.grid", "keras_hpo.searchers.manual", "keras_hpo.testing.objectives",
    "keras_hpo.plots.basics", "keras_hpo.tensorboard_hparams", "keras_hpo.quiet", "keras_hpo.testing.doubles",
    "keras_hpo.testing.instances",
]


@pytest.mark.parametrize("name", CORE_MODULES)
def test_docstring_examples(name):
    matplotlib.use("Agg")
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, extraglobs={"np": importlib.import_module("numpy")})
    assert tried > 0, f"{name} has no runnable example"
    assert failures == 0
