import math
import os

import pandas as pd
import pytest

import keras_hpo as kh
from keras_hpo.testing.objectives import BRANIN

SPACE = {"x": kh.Float(-2, 2), "kind": ["a", "b"]}


def quadratic(params):
    return (params["x"] - 0.5) ** 2 + (0.0 if params["kind"] == "a" else 1.0)


class Counting:
    """An objective that counts its calls, to prove bad input is rejected before any trial."""

    def __init__(self, fn=quadratic):
        self.fn, self.calls = fn, 0

    def __call__(self, params):
        self.calls += 1
        return self.fn(params)


def test_tune_finds_a_good_point_and_reports_it():
    result = kh.tune(quadratic, SPACE, method="random", max_trials=40, seed=0, progress=False)
    assert len(result.records) == 40
    assert result.best_params["kind"] == "a"
    assert result.best_value == min(t.value for t in result.records)
    assert result.best_value < 0.05


def test_results_table_has_the_documented_columns():
    result = kh.tune(quadratic, SPACE, max_trials=5, seed=0, progress=False)
    table = result.trials
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == ["number", "state", "value", "params_x", "params_kind", "budget", "duration", "error"]
    assert set(table["state"]) == {"COMPLETE"}
    assert table["number"].tolist() == [0, 1, 2, 3, 4]


def test_to_csv_and_summary(tmp_path):
    result = kh.tune(quadratic, SPACE, max_trials=4, seed=0, progress=False)
    path = tmp_path / "trials.csv"
    result.to_csv(path)
    assert pd.read_csv(path).shape[0] == 4
    text = result.summary()
    assert "best value" in text and "4 trials" in text


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "raise"])
def test_failing_trials_are_recorded_and_the_run_goes_on(bad):
    def objective(params):
        if params["x"] < 0:
            if bad == "raise":
                raise RuntimeError("diverged on purpose")
            return bad
        return params["x"]

    result = kh.tune(objective, {"x": kh.Float(-1, 1)}, max_trials=30, seed=3, progress=False)
    states = [t.state for t in result.records]
    assert len(states) == 30
    assert kh.TrialState.FAILED in states and kh.TrialState.COMPLETE in states
    failed = [t for t in result.records if t.state is kh.TrialState.FAILED]
    assert all(t.value is None and t.error for t in failed)
    assert ("diverged on purpose" if bad == "raise" else "not a finite number") in failed[0].error
    assert result.best_value >= 0  # the best is over COMPLETE trials only
    assert result.trials["error"].notna().sum() == len(failed)


def test_all_failed_raises_with_the_first_traceback():
    def broken(params):
        raise ZeroDivisionError("the very first problem")

    with pytest.raises(kh.AllTrialsFailed, match="all 3 trials failed(.|\n)*the very first problem"):
        kh.tune(broken, SPACE, max_trials=3, seed=0, progress=False)


def test_consecutive_failures_stop_the_run():
    def broken(params):
        raise ValueError("bug in user code")

    with pytest.raises(kh.AllTrialsFailed, match="all 4 trials failed"):
        kh.tune(broken, SPACE, max_trials=100, max_consecutive_failures=4, seed=0, progress=False)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"max_trials": 0}, ValueError, "max_trials must be a positive integer"),
        ({"max_trials": -3}, ValueError, "max_trials must be a positive integer"),
        ({"max_trials": 2.5}, ValueError, "max_trials must be a positive integer"),
        ({"timeout": 0}, ValueError, "timeout must be a positive number"),
        ({"method": "bogus", "max_trials": 3}, ValueError, "unknown method 'bogus'; known methods: grid, random, manual"),
        ({"method": 42, "max_trials": 3}, TypeError, "method must be a registry name"),
        ({"direction": "up", "max_trials": 3}, ValueError, "direction must be 'min' or 'max'"),
        ({"seed": -1, "max_trials": 3}, ValueError, "seed must be a non-negative integer"),
        ({"target": "low", "max_trials": 3}, TypeError, "target must be a number"),
        ({}, ValueError, "max_trials: give max_trials"),
        ({"method": "grid", "max_trials": 3}, ValueError, r"grid needs a finite space; give a step or a list of values for \['x'\]"),
        ({"n_jobs": 0, "max_trials": 3}, ValueError, "n_jobs must be a positive integer"),
        ({"callbacks": [1], "max_trials": 3}, TypeError, "callbacks must be callables"),
        ({"metric": 123, "max_trials": 3}, TypeError, "metric must be a metric's name"),
        ({"metric": ["loss"], "max_trials": 3}, TypeError, r"metric must be a metric's name .* got \['loss'\]"),
        ({"metric": "", "max_trials": 3}, TypeError, "metric must be a metric's name"),
        ({"objective": "val_accuracy", "max_trials": 3}, ValueError,
         r"objective must be 'best' or 'last' .*got 'val_accuracy'; the value to optimise is metric=, e.g. metric='val_accuracy'"),
        ({"objective": "last", "max_trials": 3}, ValueError, "objective='last' scores a Keras trial at its last epoch; it needs data="),
        ({"cv": 3, "max_trials": 3}, ValueError, "cv"),
    ],
)
def test_bad_options_fail_before_any_trial(kwargs, error, message):
    objective = Counting()
    with pytest.raises(error, match=message):
        kh.tune(objective, SPACE, progress=False, **kwargs)
    assert objective.calls == 0


def test_bad_space_fails_before_any_trial():
    objective = Counting()
    with pytest.raises(ValueError, match="'kind': empty choice"):
        kh.tune(objective, {"x": kh.Float(0, 1), "kind": []}, max_trials=3, progress=False)
    assert objective.calls == 0


def test_manual_points_are_checked_before_any_trial():
    objective = Counting()
    manual = kh.searchers.get("manual", trials=[{"x": 0.1, "kind": "a"}, {"x": 7.0, "kind": "a"}])
    with pytest.raises(ValueError, match=r"trials\[1\]: parameter 'x': 7.0 is outside"):
        kh.tune(objective, SPACE, method=manual, progress=False)
    assert objective.calls == 0


def test_grid_runs_each_point_once_and_stops_when_exhausted():
    space = {"a": [1, 2, 3], "b": kh.Int(0, 3), "c": ["x", "y"]}
    result = kh.tune(lambda p: p["a"] * p["b"], space, method="grid", progress=False)
    keys = [kh.Space(space).key(t.params) for t in result.records]
    assert len(keys) == 24 and len(set(keys)) == 24
    result = kh.tune(lambda p: p["a"] * p["b"], space, method="grid", max_trials=100, progress=False)
    assert len(result.records) == 24


def test_random_in_a_finite_space_stops_exactly_when_every_point_was_tried():
    result = kh.tune(lambda p: p["a"], {"a": list(range(7)), "b": [0, 1]}, method="random", max_trials=50,
                     seed=0, progress=False)
    assert len(result.records) == 14
    assert len({(t.params["a"], t.params["b"]) for t in result.records}) == 14


def test_random_never_stops_early_on_duplicates_in_a_large_space():
    space = {f"p{i}": [0, 1, 2] for i in range(7)}  # 2187 points
    result = kh.tune(lambda p: sum(p.values()), space, method="random", max_trials=1500, seed=0, progress=False)
    assert len(result.records) == 1500
    assert len({tuple(sorted(t.params.items())) for t in result.records}) == 1500


def test_same_seed_gives_the_same_trials_and_table():
    def run(seed):
        table = kh.tune(BRANIN, BRANIN.space, method="random", max_trials=15, seed=seed, progress=False).trials
        return table.drop(columns=["duration"])

    pd.testing.assert_frame_equal(run(11), run(11))
    assert not run(11).equals(run(12))


def test_trial_seeds_are_recorded_and_reproducible():
    a = kh.tune(quadratic, SPACE, max_trials=5, seed=4, progress=False)
    b = kh.tune(quadratic, SPACE, max_trials=5, seed=4, progress=False)
    assert [t.seed for t in a.records] == [t.seed for t in b.records]
    assert len({t.seed for t in a.records}) == 5


def test_direction_max_and_dict_results():
    def objective(params):
        return {"accuracy": 1 - abs(params["x"] - 0.5), "loss": abs(params["x"] - 0.5)}

    result = kh.tune(objective, {"x": kh.Float(0, 1)}, metric="accuracy", max_trials=20, seed=0, progress=False)
    assert result.direction == "max"
    assert result.best_value == max(t.value for t in result.records)
    assert result.best_trial.metrics["loss"] == pytest.approx(1 - result.best_value)


def test_dict_without_metric_needs_one():
    result_error = None
    try:
        kh.tune(lambda p: {"a": 1.0, "b": 2.0}, {"x": kh.Float(0, 1)}, max_trials=2, progress=False)
    except kh.AllTrialsFailed as exc:
        result_error = str(exc)
    assert result_error and "pass metric=" in result_error


def test_target_stops_the_run_early():
    result = kh.tune(quadratic, SPACE, max_trials=500, target=0.05, seed=0, progress=False)
    assert len(result.records) < 500
    assert result.best_value <= 0.05


def test_timeout_stops_the_run(monkeypatch):
    import sys

    clock = [1000.0]
    loop_module = sys.modules["keras_hpo.tune"]  # the module; kh.tune is the function
    monkeypatch.setattr(loop_module.time, "monotonic", lambda: clock[0])

    def takes_a_tenth_of_a_second(params):
        clock[0] += 0.1  # a fake clock: the test does not depend on the machine's speed
        return params["x"]

    result = kh.tune(takes_a_tenth_of_a_second, {"x": kh.Float(0, 1)}, timeout=0.35, seed=0, progress=False)
    assert len(result.records) == 4  # started at 0, 0.1, 0.2, 0.3; the deadline passed during the fourth


def test_callbacks_see_every_finished_trial():
    seen = []
    kh.tune(quadratic, SPACE, max_trials=6, seed=0, progress=False,
            callbacks=[lambda result, trial: seen.append((trial.number, len(result.records)))])
    assert seen == [(i, i + 1) for i in range(6)]


def test_progress_bar_shows_best_so_far(capsys):
    kh.tune(quadratic, SPACE, max_trials=3, seed=0, progress=True)
    err = capsys.readouterr().err
    assert "trials" in err and "best=" in err
    kh.tune(quadratic, SPACE, max_trials=3, seed=0, progress=False)
    assert capsys.readouterr().err == ""


def test_optional_keyword_arguments_reach_the_objective():
    seen = []

    def objective(params, seed):
        seen.append(seed)
        return params["x"]

    result = kh.tune(objective, {"x": kh.Float(0, 1)}, max_trials=3, seed=2, progress=False)
    assert seen == [t.seed for t in result.records]


def test_a_model_without_data_is_a_clear_error():
    class FakeModel:
        def fit(self):
            pass

        def predict(self):
            pass

    with pytest.raises(kh.AllTrialsFailed, match="pass data="):
        kh.tune(lambda p: FakeModel(), SPACE, max_trials=1, progress=False)


def test_talos_shaped_function_without_data_is_rejected_up_front():
    def talos_model(x_train, y_train, x_val, y_val, params):
        raise AssertionError("never called")

    with pytest.raises(ValueError, match="needs data="):
        kh.tune(talos_model, SPACE, max_trials=2, progress=False)


def test_best_model_of_a_plain_objective_is_a_clear_error():
    result = kh.tune(quadratic, SPACE, max_trials=2, progress=False)
    with pytest.raises(ValueError, match="plain objective"):
        result.best_model()


def _picklable_objective(params):
    return (params["x"] - 0.25) ** 2


def test_parallel_processes_run_every_trial_once():
    result = kh.tune(_picklable_objective, {"x": kh.Float(0, 1)}, max_trials=8, n_jobs=2, seed=0, progress=False)
    assert sorted(t.number for t in result.records) == list(range(8))
    assert all(t.state is kh.TrialState.COMPLETE for t in result.records)
    assert math.isfinite(result.best_value)


def test_progress_bar_total_follows_what_the_method_will_run(capsys):
    kh.tune(lambda p: p["a"], {"a": [1, 2, 3]}, method="grid", progress=True)
    assert "3/3" in capsys.readouterr().err
    manual = kh.searchers.get("manual", trials=[{"x": 0.1, "kind": "a"}, {"x": 0.2, "kind": "b"}])
    kh.tune(quadratic, SPACE, method=manual, max_trials=10, progress=True)
    assert "2/2" in capsys.readouterr().err


def test_integer_columns_stay_integers_with_conditional_gaps():
    space = {"layers": kh.Int(1, 2), "units_1": kh.Int(8, 64, when={"layers": [2]})}
    table = kh.tune(lambda p: p["layers"], space, max_trials=12, seed=0, progress=False).trials
    assert str(table["params_units_1"].dtype) == "Int64"
    assert table["params_units_1"].isna().any() and table["params_units_1"].notna().any()


def _dies_for_large_x(params):
    if params["x"] > 0.8:
        os._exit(1)  # the worker process dies, as with an out-of-memory kill
    return params["x"]


def test_a_dead_worker_process_fails_its_trial_and_the_run_goes_on():
    trials = [{"x": v} for v in (0.1, 0.9, 0.2, 0.3, 0.4, 0.5)]
    result = kh.tune(_dies_for_large_x, {"x": kh.Float(0, 1)}, method=kh.searchers.get("manual", trials=trials),
                     n_jobs=2, seed=0, progress=False)
    assert len(result.records) == 6
    dead = [t for t in result.records if t.params["x"] == 0.9][0]
    assert dead.state is kh.TrialState.FAILED and "worker process died" in dead.error
    assert result.best_value == 0.1


@pytest.mark.parametrize("metric", ["val_kl_divergence", "val_logcosh", "val_msle", "val_poisson", "huber",
                                    "val_false_negatives", "val_loss", "mae"])
def test_losses_are_minimised(metric):
    from keras_hpo.tune import infer_direction

    assert infer_direction(metric) == "min"


@pytest.mark.parametrize("metric", ["val_accuracy", "auc", "val_precision", "f1", "r2"])
def test_scores_are_maximised(metric):
    from keras_hpo.tune import infer_direction

    assert infer_direction(metric) == "max"


def test_numpy_numbers_are_accepted_as_options_and_bounds():
    import numpy as np

    space = kh.Space({"n": kh.Int(1, np.int64(5)), "x": kh.Float(np.float32(0.5), 1)})
    assert kh.Space.from_json(space.to_json()) == space
    result = kh.tune(lambda p: p["x"], space, max_trials=np.int64(3), progress=False)
    assert len(result.records) == 3
    assert not space["n"].contains(float("inf")) and not space["n"].contains(float("nan"))


def test_manual_integers_reach_the_objective_as_integers():
    seen = []
    manual = kh.searchers.get("manual", trials=[{"n": 2.0}, {"n": 3}])
    kh.tune(lambda p: seen.append(p["n"]) or 0.0, {"n": kh.Int(1, 5)}, method=manual, progress=False)
    assert seen == [2, 3] and all(type(n) is int for n in seen)


class _CountsItsPickling:
    """An objective holding 'data', which counts in a file how often it is pickled (in this, the driver, process)."""

    def __init__(self, path):
        self.path, self.data = str(path), list(range(1000))

    def __getstate__(self):
        with open(self.path, "a") as handle:
            handle.write("x")
        return self.__dict__

    def __call__(self, params):
        return params["x"] + len(self.data) * 0.0


def test_worker_processes_receive_the_objective_once_not_per_trial(tmp_path):
    counter = tmp_path / "pickled"
    result = kh.tune(_CountsItsPickling(counter), {"x": kh.Float(0, 1)}, max_trials=8, n_jobs=2, seed=0,
                     progress=False)
    assert len(result.completed) == 8
    assert len(counter.read_text()) <= 2  # once per worker process, not 8 times


def test_a_kerastuner_objective_as_metric_is_told_how_to_write_it():
    """KerasTuner takes ``objective=kt.Objective("val_auc", direction="max")``; here that is two strings."""

    class Objective:  # keras_tuner.Objective's shape: a name and a direction
        def __init__(self, name, direction):
            self.name, self.direction = name, direction

    objective = Counting()
    with pytest.raises(TypeError, match=r"write metric='val_auc', direction='max'"):
        kh.tune(objective, SPACE, metric=Objective("val_auc", "max"), max_trials=3, progress=False)
    assert objective.calls == 0
