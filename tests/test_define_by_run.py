"""KerasTuner-style ``fn(hp)``: the hp object, the discovered space with its conditions, every method, bad input."""

import pytest

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.define_by_run import HyperParameters, discover, takes_hp


def layered(hp):
    """The shape of KerasTuner's guide: a loop over a tuned number of layers, a boolean branch, a log float."""
    total = 0.0
    for i in range(hp.Int("num_layers", 1, 3)):
        total += hp.Int(f"units_{i}", min_value=32, max_value=512, step=32) / 512
        total += hp.Choice("activation", ["relu", "tanh"]) == "tanh"
    if hp.Boolean("dropout"):
        total += hp.Float("rate", 0.1, 0.5)
    return total + hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")


def scoped(hp):
    """KerasTuner's conditional example: a model type, each branch in its conditional_scope."""
    model_type = hp.Choice("model_type", ["mlp", "cnn"])
    if model_type == "mlp":
        with hp.conditional_scope("model_type", "mlp"):
            value = hp.Int("units", 32, 128, step=32) / 128
    else:
        with hp.conditional_scope("model_type", "cnn"):
            value = hp.Int("filters", 8, 32, step=8) / 32 + hp.Choice("kernel", [3, 5], parent_name="model_type",
                                                                      parent_values=["cnn"])
    return value


def test_signature_detection():
    assert takes_hp(layered)
    assert not takes_hp(lambda params: 0)

    def annotated(h: kh.HyperParameters):
        return 0

    assert takes_hp(annotated)


def test_the_space_is_discovered_with_conditions_from_branches_and_loops():
    _, space = discover(layered)
    assert set(space) == {"num_layers", "units_0", "units_1", "units_2", "activation", "dropout", "rate", "lr"}
    assert space["units_0"].when is None
    assert space["units_1"].when == {"num_layers": [2, 3]}
    assert space["units_2"].when == {"num_layers": [3]}
    assert space["rate"].when == {"dropout": [True]}
    assert space["units_0"] == kh.Int(32, 512, step=32)
    assert space["lr"] == kh.Float(1e-4, 1e-2, log=True)
    assert space["dropout"] == kh.Choice([False, True])


def test_conditional_scope_and_parent_arguments_become_when():
    _, space = discover(scoped)
    assert space["units"].when == {"model_type": ["mlp"]}
    assert space["filters"].when == {"model_type": ["cnn"]}
    assert space["kernel"].when == {"model_type": ["cnn"]}


@pytest.mark.parametrize("method", sorted(set(searchers.REGISTRY) - {"manual"}))
def test_every_method_runs_on_a_discovered_space(method):
    result = kh.tune(scoped, method=method, max_trials=8, seed=0, progress=False)
    for trial in result.records:
        assert result.space.contains(trial.params)
    best = result.best_params
    assert ("units" in best) == (best["model_type"] == "mlp")


def test_the_function_gets_the_trials_values_and_hp_values_holds_them():
    seen = []

    def fn(hp):
        a, b = hp.Int("a", 1, 4), hp.Choice("b", ["x", "y"])
        seen.append((dict(hp.values), hp.get("a"), hp["b"], a, b))
        return a

    result = kh.tune(fn, method="grid", progress=False)
    assert len(result.records) == 8 and result.best_params == {"a": 1, "b": "x"}
    values, a, b, *_ = seen[-1]
    assert values == {"a": a, "b": b} == result.records[-1].params


def test_inactive_scoped_parameters_are_none_as_in_kerastuner():
    hp = HyperParameters({"t": "a"})
    hp.Choice("t", ["a", "b"])
    with hp.conditional_scope("t", ["b"]):
        assert hp.Int("n", 1, 3) is None
    with pytest.raises(KeyError, match="'zz'"):
        hp.get("zz")


def test_kerastuner_log_step_is_a_multiplicative_grid():
    _, space = discover(lambda hp: hp.Int("units", 8, 128, step=2, sampling="log"))
    assert space["units"].values() == [8, 16, 32, 64, 128]


@pytest.mark.parametrize("body, message", [
    (lambda hp: hp.Int("units", 64, 8), r"'units'.*min_value=64 is above max_value=8"),
    (lambda hp: hp.Choice("act", []), r"'act'.*non-empty list"),
    (lambda hp: hp.Float("lr", 0.0, 1.0, sampling="log"), r"'lr'.*min_value > 0"),
    (lambda hp: hp.Int("n", 1.5, 3), r"'n'.*integer min_value"),
    (lambda hp: hp.Choice("c", [1, 2], default=3), r"'c'.*default=3"),
])
def test_bad_declarations_stop_before_any_trial(body, message):
    calls = []

    def fn(hp):
        calls.append(1)
        return body(hp)

    with pytest.raises(ValueError, match=message):
        kh.tune(fn, method="random", max_trials=3, progress=False)
    assert len(calls) == 1  # the discovery call, no trial


def test_a_default_between_the_steps_starts_at_the_nearest_step_as_kerastuner_accepts_it():
    """KerasTuner takes hp.Int("units", 32, 512, step=32, default=100) (and Float's, and a log grid's) as written."""
    seen = []

    def fn(hp):
        seen.append((hp.Int("units", 32, 512, step=32, default=100), hp.Float("drop", 0, 0.5, step=0.1, default=0.25),
                     hp.Int("width", 16, 256, step=2, sampling="log", default=100)))
        return 0.0

    result = kh.tune(fn, method="random", max_trials=2, seed=0, progress=False)
    assert seen[0] == (96, 0.2, 128)  # the first discovery call: every parameter at its default
    assert result.space["units"] == kh.Int(32, 512, step=32) and result.space["drop"] == kh.Float(0.0, 0.5, step=0.1)
    with pytest.raises(ValueError, match=r"'drop'.*default=2.0 is not a possible value"):  # outside: still an error
        kh.tune(lambda hp: hp.Float("drop", 0, 0.5, step=0.1, default=2.0), max_trials=1, progress=False)


def test_a_function_without_hp_still_needs_a_space():
    with pytest.raises(ValueError, match="space: give the search space"):
        kh.tune(lambda params: 0.0, method="random", max_trials=2, progress=False)


def test_resume_of_a_discovered_space(tmp_path):
    db = str(tmp_path / "d.db")
    kh.tune(layered, method="random", max_trials=3, seed=0, storage=db, study="s", progress=False)
    result = kh.tune(layered, method="random", max_trials=5, seed=0, storage=db, study="s", resume=True, progress=False)
    assert len(result.records) == 5


def test_worker_processes_get_the_hp_object_and_the_same_space():
    result = kh.tune(scoped, method="random", max_trials=6, n_jobs=2, seed=0, progress=False)
    assert set(result.trials["state"]) == {"COMPLETE"}
    serial = kh.tune(scoped, method="random", max_trials=6, seed=0, progress=False)
    assert [t.params for t in result.records] == [t.params for t in serial.records]
    assert [t.value for t in result.records] == [t.value for t in serial.records]


def test_fixed_and_choice_objects_reach_the_function_as_objects():
    import math

    seen = []

    def fn(hp):
        f, g = hp.Fixed("f", math.sqrt), hp.Choice("g", [math.exp, abs])
        seen.append((f, g))
        return f(4.0) + g(0.0)

    result = kh.tune(fn, method="grid", progress=False)
    assert result.best_params == {"f": "math.sqrt", "g": "builtins.abs"}
    assert seen[-1] == (math.sqrt, abs)


def test_a_bad_declaration_in_a_branch_stops_discovery_too():
    def fn(hp):
        if hp.Choice("kind", ["a", "b"]) == "b":
            hp.Int("depth", 5, 1)
        return 0.0

    with pytest.raises(ValueError, match=r"'depth'.*min_value=5 is above max_value=1"):
        kh.tune(fn, method="random", max_trials=2, progress=False)


def test_an_error_of_the_function_in_a_branch_is_left_to_its_trials():
    def fn(hp):
        if hp.Choice("kind", ["a", "b"]) == "b":
            raise RuntimeError("branch b is broken")
        return 1.0

    result = kh.tune(fn, method="grid", progress=False)
    assert result.trials["state"].tolist() == ["COMPLETE", "FAILED"]


def nested(hp):
    """KerasTuner's own conditional shape (scope outside, the if inside), two levels deep."""
    model_type = hp.Choice("model_type", ["cnn", "mlp"])
    value = 0.0
    with hp.conditional_scope("model_type", ["cnn"]):
        if model_type == "cnn":
            sub_cnn = hp.Choice("sub_cnn", ["a", "b"])
            with hp.conditional_scope("sub_cnn", ["a"]):
                if sub_cnn == "a":
                    value += hp.Int("n_filters_a", 2, 4)
            with hp.conditional_scope("sub_cnn", ["b"]):
                if sub_cnn == "b":
                    value += hp.Int("n_filters_b", 6, 8)
    with hp.conditional_scope("model_type", ["mlp"]):
        if model_type == "mlp":
            value += hp.Int("units", 1, 3)
    return value


def test_nested_conditional_scopes_give_nested_conditions():
    _, space = discover(nested)
    assert space["sub_cnn"].when == {"model_type": ["cnn"]}
    assert space["n_filters_a"].when == {"model_type": ["cnn"], "sub_cnn": ["a"]}
    assert space["n_filters_b"].when == {"model_type": ["cnn"], "sub_cnn": ["b"]}
    assert space["units"].when == {"model_type": ["mlp"]}
    result = kh.tune(nested, method="grid", progress=False)
    assert len(result.records) == space.cardinality == 3 + 3 + 3
    assert result.best_value == 1


def loop_in_scope(hp):
    """A layer loop inside a conditional_scope (KerasTuner's docs put each model type's layers in its scope)."""
    model_type = hp.Choice("model_type", ["mlp", "wide"])
    total = 0
    with hp.conditional_scope("model_type", "mlp"):
        if model_type == "mlp":
            for i in range(hp.Int("layers", 1, 3)):
                total += hp.Int(f"units_{i}", 8, 32, step=8)
    with hp.conditional_scope("model_type", "wide"):
        if model_type == "wide":
            total += hp.Int("wide_units", 32, 64, step=32)
    return float(total)


def test_a_loop_inside_a_conditional_scope_keeps_both_conditions():
    """units_1 exists only for an mlp of 2 or 3 layers; it used to be searched (and shown in best_params) for every
    mlp, one layer included, because its scope's condition replaced the loop's."""
    _, space = discover(loop_in_scope)
    assert space["units_1"].when == {"model_type": ["mlp"], "layers": [2, 3]}
    assert space["units_2"].when == {"model_type": ["mlp"], "layers": [3]}
    assert space["units_0"].when == {"model_type": ["mlp"]} and space["wide_units"].when == {"model_type": ["wide"]}
    result = kh.tune(loop_in_scope, method="random", max_trials=20, seed=0, progress=False)
    for trial in result.records:
        layers = trial.params.get("layers", 0)
        assert {n for n in trial.params if n.startswith("units_")} == {f"units_{i}" for i in range(layers)}


def test_a_space_given_to_a_function_declaring_hp_is_refused_before_any_call():
    """It would get a dict and every trial would fail with "'dict' object has no attribute 'Float'"; a function that
    only calls its dict of params ``hp`` keeps working with a written space."""
    calls = []

    def declares(hp):
        calls.append(1)
        return hp.Float("x", 0.0, 1.0) ** 2

    with pytest.raises(ValueError, match=r"space: this model_fn\(hp\) declares its own space .*hp.Fixed\('epochs', 20\)"):
        kh.tune(declares, {"x": kh.Float(0, 1), "epochs": 20}, max_trials=2, progress=False)
    assert calls == []
    result = kh.tune(lambda hp: hp["x"] ** 2, {"x": kh.Float(0, 1)}, max_trials=2, seed=0, progress=False)
    assert len(result.completed) == 2
