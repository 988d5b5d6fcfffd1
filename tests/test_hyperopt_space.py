"""Hyperopt spaces as users write them: flattened for every method, handed back nested as fmin would."""

import math

import numpy as np
import pytest
from hyperopt import STATUS_FAIL, STATUS_OK, Trials, fmin, hp, tpe

import keras_hpo as kh
from keras_hpo import searchers
from keras_hpo.hyperopt_space import from_hyperopt

#: a conditional hp.choice over dicts holding further hp.*, nested lists, log and quantised ranges
SPACE = {
    "lr": hp.loguniform("lr", math.log(1e-4), math.log(1e-1)),
    "layers": hp.uniformint("layers", 1, 3),
    "model": hp.choice("model", [
        {"type": "mlp", "units": hp.quniform("units", 16, 64, 16), "act": hp.choice("act", ["relu", "tanh"])},
        {"type": "linear"},
    ]),
    "extra": [hp.uniform("w", -1, 1), 7],
}


def loss(params):
    model = params["model"]
    value = (math.log10(params["lr"]) + 2) ** 2 + params["layers"] + params["extra"][0] ** 2
    if model["type"] == "mlp":
        value += model["units"] / 64 + (model["act"] == "tanh")
    return {"loss": value, "status": STATUS_OK}


def fmin_calls(space, seed, evals):
    calls = []

    def record(params):
        calls.append(params)
        return loss(params)

    fmin(record, space, algo=tpe.suggest, max_evals=evals, trials=Trials(), rstate=np.random.default_rng(seed),
         show_progressbar=False)
    return calls


def test_the_flat_space_and_its_conditions():
    _, space = from_hyperopt(loss, SPACE)
    assert space["lr"] == kh.Float(1e-4, 0.1, log=True)
    assert space["layers"] == kh.Int(1, 3)
    assert space["model"] == kh.Choice(["mlp", "linear"])
    assert space["units"].when == {"model": ["mlp"]} and space["units"].step == 16
    assert space["act"].when == {"model": ["mlp"]}
    assert space["w"] == kh.Float(-1, 1)


@pytest.mark.parametrize("seed", [0, 5])
def test_tpe_proposes_what_fmin_proposes_on_the_original_space(seed):
    expected = fmin_calls(SPACE, seed, 30)
    seen = []
    kh.tune(lambda p: seen.append(p) or loss(p), SPACE, method="tpe", max_trials=30, seed=seed, progress=False)
    assert seen == expected  # the same nested structures, values and types, in the same order


@pytest.mark.parametrize("method", sorted(set(searchers.REGISTRY) - {"manual", "grid", "talos"}))
def test_every_method_hands_the_objective_fmins_structure(method):
    seen = []
    result = kh.tune(lambda p: seen.append(p) or loss(p), SPACE, method=method, max_trials=8, seed=0, progress=False)
    assert len(seen) == len(result.records)
    for params in seen:
        assert set(params) == {"lr", "layers", "model", "extra"}
        assert isinstance(params["layers"], int) and params["extra"][1] == 7
        assert set(params["model"]) == ({"type", "units", "act"} if params["model"]["type"] == "mlp" else {"type"})
    assert result.best_params["model"] in ("mlp", "linear")


@pytest.mark.parametrize("method", ["grid", "talos"])
def test_grid_and_talos_run_on_finite_hyperopt_spaces(method):
    space = {"a": hp.choice("a", [{"k": "x", "n": hp.randint("n", 3)}, {"k": "y"}]), "b": hp.quniform("b", 0, 2, 1)}
    seen = []
    kh.tune(lambda p: seen.append(p) or float(p["b"]), space, method=method, progress=False)
    assert len(seen) == (3 + 1) * 3


def test_a_top_level_choice_hands_over_the_chosen_dict():
    space = hp.choice("clf", [{"kind": "svm", "C": hp.loguniform("C", -3, 3)},
                              {"kind": "tree", "depth": hp.randint("depth", 1, 6)}])
    seen = []
    result = kh.tune(lambda p: seen.append(p) or (p.get("C", 1.0) - 1) ** 2, space, method="random",
                     max_trials=15, seed=0, progress=False)
    assert {p["kind"] for p in seen} == {"svm", "tree"}
    assert all(set(p) == ({"kind", "C"} if p["kind"] == "svm" else {"kind", "depth"}) for p in seen)
    assert result.space["depth"] == kh.Int(1, 5, when={"clf": ["tree"]})


def test_status_fail_makes_the_trial_failed_and_the_run_goes_on():
    def objective(p):
        return {"status": STATUS_FAIL} if p["x"] > 0.5 else {"loss": p["x"], "status": STATUS_OK}

    result = kh.tune(objective, {"x": hp.uniform("x", 0, 1)}, method="random", max_trials=12, seed=0, progress=False)
    states = set(result.trials["state"])
    assert states == {"COMPLETE", "FAILED"}
    assert result.best_value <= 0.5


@pytest.mark.parametrize("expr, label", [(hp.normal("mu", 0, 1), "mu"), (hp.lognormal("scale", 0, 1), "scale"),
                                         (hp.qnormal("q", 0, 1, 1), "q")])
def test_unmappable_expressions_are_refused_with_their_label_before_any_trial(expr, label):
    calls = []
    with pytest.raises(ValueError, match=f"parameter '{label}'.*no bounds"):
        kh.tune(lambda p: calls.append(p) or 0.0, {"x": hp.uniform("x", 0, 1), label: expr}, method="random",
                max_trials=2, progress=False)
    assert calls == []


def test_readme_hyperopt_example_is_true():
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if "STATUS_OK" in b)
    namespace: dict = {}
    exec(compile(block.replace("seed=0)", "seed=0, progress=False)"), "README", "exec"), namespace)
    result, space, score = namespace["result"], namespace["space"], namespace["score"]
    assert result.best_params["model"] == "mlp" and set(result.best_params) == {"lr", "model", "units", "layers"}
    seen = []
    kh.tune(lambda p: seen.append(p) or score(p), space, method="tpe", max_trials=50, seed=0, progress=False)
    assert seen == fmin_calls_with(score, space, 0, 50)


def fmin_calls_with(fn, space, seed, evals):
    calls = []
    fmin(lambda p: calls.append(p) or fn(p), space, algo=tpe.suggest, max_evals=evals, trials=Trials(),
         rstate=np.random.default_rng(seed), show_progressbar=False)
    return calls


def _nested_loss(params):
    return loss(params)


def test_worker_processes_get_the_nested_structure():
    result = kh.tune(_nested_loss, SPACE, method="random", max_trials=6, n_jobs=2, seed=0, progress=False)
    serial = kh.tune(_nested_loss, SPACE, method="random", max_trials=6, seed=0, progress=False)
    assert set(result.trials["state"]) == {"COMPLETE"}
    assert [t.value for t in result.records] == [t.value for t in serial.records]


def test_pchoice_probabilities_are_used_by_tpe_and_said_to_be_unused_elsewhere(caplog):
    """hp.pchoice's weights live in the Hyperopt expression: TPE draws by them, keras_hpo's own methods draw the
    options alike, and say so instead of dropping the weights silently."""
    space = {"act": hp.pchoice("act", [(0.9, "relu"), (0.1, "tanh")]), "z": hp.uniform("z", 0, 1)}
    with caplog.at_level("WARNING", logger="keras_hpo"):
        tpe_run = kh.tune(lambda p: p["z"], space, method="tpe", max_trials=60, seed=0, progress=False)
    assert "pchoice" not in caplog.text
    assert sum(t.params["act"] == "relu" for t in tpe_run.records) >= 45
    with caplog.at_level("WARNING", logger="keras_hpo"):
        kh.tune(lambda p: p["z"], space, method="random", max_trials=5, seed=0, progress=False)
    assert "hp.pchoice 'act': its probabilities are used by method='tpe'" in caplog.text
    assert "method='random' draws its options alike" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="keras_hpo"):  # a bandit whose arms TPE proposes uses the weights too
        kh.tune(lambda p, budget: p["z"], space, method=searchers.get("successive_halving", searcher="tpe"),
                max_trials=4, seed=0, progress=False)
    assert "pchoice" not in caplog.text


def test_choices_of_lists_or_unnamed_dicts_are_named_by_position_as_the_readme_says():
    from pathlib import Path

    space = {"layers": hp.choice("layers", [[32], [64, 32]]), "opt": hp.choice("opt", [{"lr": 0.1}, {"lr": 0.2}])}
    _, flat = from_hyperopt(lambda p: 0.0, space)
    assert flat["layers"].values() == [0, 1] and flat["opt"].values() == [0, 1]
    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text().split())
    assert "never by an index" not in readme
    assert "named by their position" in readme
