"""Pruners decide from per-epoch reports; pruned trials are PRUNED with their curve, and searchers learn from them."""

import math

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo.pruners import MedianPruner, PatiencePruner, PercentilePruner, make_pruner


def done(number, curve, state=kh.TrialState.COMPLETE):
    return kh.Trial(number, {}, state, value=curve[-1], curve=list(curve))


def test_median_rule_on_synthetic_curves():
    pruner = MedianPruner(warmup_steps=1, min_trials=3)
    pruner.setup("min")
    for number, floor in enumerate([0.1, 0.2, 0.3]):
        pruner.tell(done(number, [1.0, 0.5 + floor, floor]))
    assert pruner.report(10, 1, 5.0) is kh.Decision.CONTINUE       # warm-up: step 1 is never judged
    assert pruner.report(10, 2, 0.69) is kh.Decision.CONTINUE      # best so far 0.69 < median 0.7
    assert pruner.report(11, 1, 0.9) is kh.Decision.CONTINUE
    assert pruner.report(11, 2, 0.71) is kh.Decision.STOP          # worse than the median at step 2
    assert pruner.report(12, 3, 0.9) is kh.Decision.STOP           # median at step 3 is 0.2
    pruner.report(13, 1, 0.1)
    assert pruner.report(13, 3, 0.9) is kh.Decision.CONTINUE       # its best so far (0.1 at step 1) is what counts


def test_median_rule_waits_for_enough_completed_trials_and_ignores_pruned_ones():
    pruner = MedianPruner(warmup_steps=0, min_trials=2)
    pruner.setup("min")
    pruner.tell(done(0, [0.5]))
    pruner.tell(done(1, [0.1], kh.TrialState.PRUNED))  # a pruned curve is no reference
    assert pruner.report(5, 1, 9.0) is kh.Decision.CONTINUE
    pruner.tell(done(2, [0.6]))
    assert pruner.report(5, 1, 9.0) is kh.Decision.STOP


def test_maximised_metrics_are_judged_the_right_way_round():
    pruner = MedianPruner(warmup_steps=0, min_trials=3)
    pruner.setup("max")
    for number, acc in enumerate([0.8, 0.85, 0.9]):
        pruner.tell(done(number, [acc]))
    assert pruner.report(5, 1, 0.86) is kh.Decision.CONTINUE
    assert pruner.report(6, 1, 0.84) is kh.Decision.STOP


def replay(pruner, curves):
    """``pruner`` on loss curves in order, as serial ``tune`` runs trials: steps used, and which trials completed."""
    pruner.setup("min")
    used, completed = 0, []
    for number, curve in enumerate(curves):
        stop = next((step for step, v in enumerate(curve, 1) if pruner.report(number, step, v) is kh.Decision.STOP),
                    len(curve))
        used += stop
        state = kh.TrialState.COMPLETE if stop == len(curve) else kh.TrialState.PRUNED
        completed += [number] if state is kh.TrialState.COMPLETE else []
        pruner.tell(kh.Trial(number, {}, state, value=curve[stop - 1], curve=list(curve[:stop])))
    return used, completed


# 16 trials of 10 epochs in a fixed order: fifteen ordinary curves (loss levels 0-14, their ranks never change), and
# one slow starter (number 7), the worst of all after one epoch and the best from the second on
ORDINARY = [[0.1 + 0.05 * level + 0.5 / t for t in range(1, 11)] for level in (10, 0, 1, 13, 6, 8, 7, 5, 2, 12, 11, 3,
                                                                                 4, 9, 14)]
CURVES = ORDINARY[:7] + [[0.05 + 1.0 / t ** 2 for t in range(1, 11)]] + ORDINARY[7:]


def test_median_defaults_judge_from_the_second_epoch_after_three_completed_trials():
    pruner = MedianPruner()
    assert (pruner.warmup_steps, pruner.min_trials) == (1, 3)
    assert (PercentilePruner().warmup_steps, PercentilePruner().min_trials) == (1, 3)
    pruner.setup("min")
    for number in range(2):
        pruner.tell(done(number, [1.0, 0.5, 0.4]))
    assert pruner.report(10, 2, 9.0) is kh.Decision.CONTINUE   # two completed trials are not enough
    pruner.tell(done(2, [1.0, 0.5, 0.4]))
    assert pruner.report(11, 1, 9.0) is kh.Decision.CONTINUE   # the first epoch is never judged
    assert pruner.report(11, 2, 0.6) is kh.Decision.STOP       # from the second on, against three completed trials


def test_median_defaults_use_half_the_epochs_and_keep_a_slow_starting_best():
    full = sum(len(c) for c in CURVES)
    used, completed = replay(MedianPruner(), CURVES)
    assert 7 in completed and used <= full / 2, (used, completed)
    # what each default buys: judging the first epoch loses the slow starter; the old 2 warm-up epochs and
    # 5 completed trials cost more than half the epochs
    assert 7 not in replay(MedianPruner(warmup_steps=0), CURVES)[1]
    assert replay(MedianPruner(warmup_steps=2, min_trials=5), CURVES)[0] > full / 2


def test_percentile_keeps_only_the_best_quarter():
    pruner = PercentilePruner(25, warmup_steps=0, min_trials=4)
    pruner.setup("min")
    for number, value in enumerate([1.0, 2.0, 3.0, 4.0, 5.0]):
        pruner.tell(done(number, [value]))
    assert pruner.report(9, 1, 1.9) is kh.Decision.CONTINUE   # the 25th percentile is 2.0
    assert pruner.report(10, 1, 2.1) is kh.Decision.STOP      # better than the median, still pruned


def test_patience_stops_a_curve_that_stopped_improving():
    pruner = PatiencePruner(patience=2, min_delta=0.01)
    pruner.setup("min")
    decisions = [pruner.report(0, step, value) for step, value in enumerate([1.0, 0.8, 0.795, 0.79, 0.9], start=1)]
    assert [d.value for d in decisions] == ["CONTINUE", "CONTINUE", "CONTINUE", "STOP", "STOP"]


@pytest.mark.parametrize("pruner, message", [
    (MedianPruner(warmup_steps=-1), "warmup_steps must be an integer >= 0"),
    (PercentilePruner(0), "percentile must be a number > 0 and <= 100"),
    (PatiencePruner(0), "patience must be an integer >= 1"),
    ("mean", "unknown name 'mean'"),
])
def test_bad_pruner_options_fail_before_any_trial(pruner, message):
    calls = []
    with pytest.raises(ValueError, match=message):
        kh.tune(lambda p: calls.append(p) or 0.0, {"x": kh.Float(0, 1)}, max_trials=3, pruner=pruner, progress=False)
    assert calls == []


def test_make_pruner_accepts_names_instances_and_none():
    assert isinstance(make_pruner("median"), MedianPruner) and make_pruner(None) is None
    mine = PatiencePruner(5)
    assert make_pruner(mine) is mine
    with pytest.raises(TypeError, match="pruner must be"):
        make_pruner(3)


def learning_curve(params, report):
    """A plain objective that reports a loss per epoch: configurations far from x=0.3 stay bad."""
    value = math.inf
    for epoch in range(1, 11):
        value = (params["x"] - 0.3) ** 2 + 1.0 / epoch
        if report(epoch, value) is kh.Decision.STOP:
            break
    return value


class OddTrialsAtStep3(kh.pruners.Pruner):
    """A custom pruner: stops every odd-numbered trial at step 3 (proves the plumbing, whatever the searcher)."""

    def report(self, trial_number, step, value):
        return kh.Decision.STOP if trial_number % 2 and step == 3 else kh.Decision.CONTINUE


@pytest.mark.parametrize("method", ["random", "tpe", "bayes", "genetic", "annealing", "tabu", "pso", "ant_colony",
                                    "successive_halving"])
def test_every_searcher_prunes_through_tune(method):
    result = kh.tune(learning_curve, {"x": kh.Float(0, 1)}, method=method, max_trials=12, seed=1, progress=False,
                     pruner=OddTrialsAtStep3())
    pruned = [t for t in result.records if t.state is kh.TrialState.PRUNED]
    assert [t.number for t in pruned] == [t.number for t in result.records if t.number % 2]
    for t in pruned:  # PRUNED, with the curve up to the stop and its last value
        assert len(t.curve) == 3 and t.value == t.curve[-1]
    assert result.best_trial.state is kh.TrialState.COMPLETE


def stalling_curve(params, report):
    """Like ``learning_curve``, but for x > 0.5 the loss stops improving after epoch 2."""
    value = math.inf
    for epoch in range(1, 11):
        value = (params["x"] - 0.3) ** 2 + 1.0 / (min(epoch, 2) if params["x"] > 0.5 else epoch)
        if report(epoch, value) is kh.Decision.STOP:
            break
    return value


@pytest.mark.parametrize("pruner", ["median", "percentile", "patience"])
def test_each_pruner_prunes_a_random_search(pruner):
    result = kh.tune(stalling_curve, {"x": kh.Float(0, 1)}, max_trials=16, seed=1, progress=False, pruner=pruner,
                     method="random")
    pruned = [t for t in result.records if t.state is kh.TrialState.PRUNED]
    assert pruned and all(len(t.curve) < 10 and t.value == t.curve[-1] for t in pruned)
    assert all(len(t.curve) == 10 for t in result.records if t.state is kh.TrialState.COMPLETE)


def test_pruning_saves_steps_and_keeps_the_best():
    space = {"x": kh.Float(0, 1)}
    plain = kh.tune(learning_curve, space, method="random", max_trials=30, seed=3, progress=False)
    pruned = kh.tune(learning_curve, space, method="random", max_trials=30, seed=3, progress=False, pruner="median")
    steps = lambda r: sum(len(t.curve) for t in r.records)  # noqa: E731
    assert steps(pruned) < 0.7 * steps(plain)
    assert pruned.best_params == plain.best_params  # the same random points; the best was never pruned


def test_searchers_learn_from_a_pruned_trial_as_no_better_than_the_worst_complete_one():
    searcher = kh.searchers.get("random")
    searcher.setup(kh.Space({"x": kh.Float(0, 1)}), "max", 0)
    searcher.tell(kh.Trial(0, {"x": 0.1}, kh.TrialState.COMPLETE, value=0.5))
    searcher.tell(kh.Trial(1, {"x": 0.2}, kh.TrialState.COMPLETE, value=0.7))
    searcher.tell(kh.Trial(2, {"x": 0.3}, kh.TrialState.PRUNED, value=0.9, curve=[0.9]))  # stopped early, looked good
    learned = searcher.history[-1]
    assert learned.state is kh.TrialState.COMPLETE and learned.value == 0.5  # the worst complete value
    searcher.tell(kh.Trial(3, {"x": 0.4}, kh.TrialState.PRUNED, value=0.2, curve=[0.2]))
    assert searcher.history[-1].value == 0.2  # already worse than every complete one: its own value


def test_tpe_sees_pruned_trials_in_its_bad_group():
    """Hyperopt's TPE proposes away from a region whose trials were all pruned."""
    space = kh.Space({"x": kh.Float(0, 1)})
    searcher = kh.searchers.get("tpe")
    searcher.setup(space, "min", 0)
    rng = np.random.default_rng(0)
    for number in range(30):
        [s] = searcher.ask(1)
        x = s.params["x"]
        if x < 0.5:  # the left half always looks fine early on, then gets pruned
            trial = kh.Trial(number, s.params, kh.TrialState.PRUNED, value=0.0, curve=[0.0])
        else:
            trial = kh.Trial(number, s.params, kh.TrialState.COMPLETE, value=1.0 + rng.normal(scale=0.01), curve=[1.0])
        searcher.tell(trial)
    asked = [t.params["x"] for t in searcher.history[-10:]]
    assert np.mean(np.array(asked) >= 0.5) >= 0.6, asked


def test_the_median_pruner_stops_trials_running_in_worker_processes():
    """Reports stream back from local workers, so pruning saves the same work at n_jobs=2 as serially."""
    space = {"x": kh.Float(0, 1)}
    plain = kh.tune(learning_curve, space, method="random", max_trials=30, n_jobs=2, seed=3, progress=False)
    pruned = kh.tune(learning_curve, space, method="random", max_trials=30, n_jobs=2, seed=3, progress=False,
                     pruner="median")
    steps = lambda r: sum(len(t.curve) for t in r.records)  # noqa: E731
    assert any(t.state is kh.TrialState.PRUNED for t in pruned.records)
    assert steps(pruned) < 0.7 * steps(plain) and pruned.best_params == plain.best_params
