"""Choice values that are objects: kept by a readable name, handed back as the object, through JSON and resume."""

import json
import math

import pytest

import keras_hpo as kh
from keras_hpo.references import name_of, resolve


def test_names_are_public_import_paths_that_lead_back():
    assert name_of(json.dumps) == "json.dumps"
    assert resolve("json.dumps") is json.dumps
    assert name_of(math.sqrt) == "math.sqrt"


def test_a_choice_of_functions_is_searched_by_name_and_hands_over_the_function():
    seen = []

    def objective(params):
        seen.append(params["f"])
        return params["f"](2.0)

    result = kh.tune(objective, {"f": [math.sqrt, math.exp, abs]}, method="grid", progress=False)
    assert result.best_params == {"f": "math.sqrt"}
    assert seen == [math.sqrt, math.exp, abs]
    assert set(result.trials["params_f"]) == {"math.sqrt", "math.exp", "builtins.abs"}


def test_the_space_json_round_trip_resolves_names_to_the_same_objects():
    space = kh.Space({"f": [math.sqrt, "plain"], "g": math.exp})
    again = kh.Space.from_json(space.to_json())
    assert again == space
    assert again.resolve({"f": "math.sqrt", "g": "math.exp"}) == {"f": math.sqrt, "g": math.exp}
    assert again.resolve({"f": "plain", "g": "math.exp"})["f"] == "plain"  # a string value stays a string


def test_resume_with_objects_keeps_the_study(tmp_path):
    db = str(tmp_path / "r.db")
    space = {"f": [math.sqrt, math.exp], "x": kh.Float(0, 1)}
    kh.tune(lambda p: p["f"](p["x"]), space, method="random", max_trials=3, seed=1, storage=db, study="s", progress=False)
    result = kh.tune(lambda p: p["f"](p["x"]), space, method="random", max_trials=6, seed=1, storage=db, study="s",
                     resume=True, progress=False)
    assert len(result.records) == 6
    assert set(kh.load(db, "s").trials["params_f"]) <= {"math.sqrt", "math.exp"}


def test_an_object_that_cannot_be_imported_back_is_handed_over_in_process_and_named_on_resolve():
    local = lambda x: x  # noqa: E731
    space = kh.Space({"f": [local, abs]})
    name = space["f"].values()[0]
    assert "<lambda>" in name
    assert space.resolve({"f": name})["f"] is local
    with pytest.raises(LookupError, match="lambda"):
        kh.Space.from_json(space.to_json()).resolve({"f": name})


def test_non_primitive_values_that_are_not_objects_are_still_refused():
    with pytest.raises(TypeError, match="'units'.*choice values"):
        kh.Space({"units": [[16, 16], [32]]})


@pytest.mark.parametrize("name", ["keras_hpo.references", "keras_hpo.compat", "keras_hpo.define_by_run",
                                  "keras_hpo.hyperopt_space"])
def test_docstring_examples_of_the_bring_your_own_modules(name):
    import doctest
    import importlib

    failures, tried = doctest.testmod(importlib.import_module(name))
    assert tried > 0 and failures == 0
