"""Each plot draws what it claims (lines, points, labels), on hand-made records so every case is known."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import keras_hpo as kh  # noqa: E402
from keras_hpo import Trial, TrialState, TuneResult  # noqa: E402
from keras_hpo.plots import KINDS, plot_ecdf  # noqa: E402

SPACE = kh.Space({"lr": kh.Float(1e-4, 1e-1, log=True), "units": kh.Int(8, 64), "act": ["relu", "tanh"]})


def make(records, direction="min", metric="val_loss", space=SPACE, **kw):
    return TuneResult(records, space=space, direction=direction, metric=metric, study="s", method="m", **kw)


def trial(number, value, state=TrialState.COMPLETE, curve=(), **kw):
    params = kw.pop("params", {"lr": 10 ** -(1 + number % 3), "units": 8 + number, "act": ["relu", "tanh"][number % 2]})
    return Trial(number=number, params=params, state=state, value=value, curve=list(curve), **kw)


def texts(ax):
    return " ".join(t.get_text() for t in ax.texts)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


# Learning curves ---------------------------------------------------------------
def test_learning_curves_draw_every_trial_with_the_best_highlighted_and_pruned_dashed():
    records = [trial(0, 0.5, curve=[0.9, 0.6, 0.5]), trial(1, 0.3, curve=[0.8, 0.4, 0.3]),
               trial(2, 0.7, TrialState.PRUNED, curve=[0.95, 0.7]), trial(3, None, TrialState.FAILED)]
    ax = make(records).plot_learning_curves()
    lines = {line.get_gid(): line for line in ax.lines}
    assert set(lines) == {"trial-0", "trial-1", "trial-2"}  # the failed trial has no curve
    assert list(lines["trial-1"].get_ydata()) == [0.8, 0.4, 0.3] and lines["trial-1"].get_linewidth() > 2
    assert lines["trial-1"].get_label() == "best (trial 1)"
    assert lines["trial-2"].get_linestyle() == "--" and lines["trial-0"].get_linestyle() == "-"
    assert list(lines["trial-0"].get_xdata()) == [1, 2, 3] and ax.get_xlabel() == "epoch"


def test_learning_curves_of_another_logged_metric_come_from_the_history():
    history = {"val_loss": [0.9, 0.5], "accuracy": [0.6, 0.8]}
    ax = make([trial(0, 0.5, curve=[0.9, 0.5], metrics={"history": history})]).plot_learning_curves(metric="accuracy")
    assert list(ax.lines[0].get_ydata()) == [0.6, 0.8] and ax.get_ylabel() == "accuracy"


def test_learning_curves_without_epochs_say_so():
    ax = make([trial(0, 0.5)]).plot_learning_curves()
    assert not ax.lines and "no per-epoch values" in texts(ax)


# Slice and contour -----------------------------------------------------------------
def test_a_slice_puts_each_trial_at_its_parameter_value():
    records = [trial(i, float(i)) for i in range(6)]
    ax = make(records).plot_slice("units")
    points = ax.collections[0].get_offsets()
    assert sorted(points[:, 0]) == [8, 9, 10, 11, 12, 13] and ax.get_xlabel() == "units"
    star = ax.collections[1].get_offsets()
    assert list(star[0]) == [8, 0.0]  # the best trial (value 0) is the star


def test_a_slice_of_a_log_parameter_is_on_log10_and_a_choice_on_its_values():
    records = [trial(i, float(i)) for i in range(6)]
    axes = make(records).plot_slice()
    assert [a.get_title() for a in axes] == ["slice: lr", "slice: units", "slice: act"]
    assert axes[0].get_xlabel() == "log10(lr)" and set(np.round(axes[0].collections[0].get_offsets()[:, 0])) == {-1, -2, -3}
    assert [t.get_text() for t in axes[2].get_xticklabels()] == ["relu", "tanh"]
    with pytest.raises(ValueError, match="param: 'nope'"):
        make(records).plot_slice("nope")


def test_a_contour_interpolates_between_the_trials_and_marks_them():
    rng = np.random.default_rng(0)
    records = []
    for i in range(20):
        lr, units = float(10 ** rng.uniform(-4, -1)), int(rng.integers(8, 65))
        records.append(trial(i, (np.log10(lr) + 2.5) ** 2 + units / 64, params={"lr": lr, "units": units, "act": "relu"}))
    ax = make(records).plot_contour("lr", "units")
    assert ax.get_xlabel() == "log10(lr)" and ax.get_ylabel() == "units"
    points = ax.collections[-2].get_offsets()
    assert len(points) == 20
    filled = [c for c in ax.collections if type(c).__name__ in ("TriContourSet", "QuadContourSet")]
    assert filled or len(ax.collections) > 2  # the filled levels are there under the points
    default = make(records).plot_contour()  # the two parameters that matter, not the constant choice
    assert {default.get_xlabel(), default.get_ylabel()} == {"log10(lr)", "units"}


def test_a_contour_with_too_few_trials_says_so():
    ax = make([trial(i, float(i)) for i in range(3)]).plot_contour("lr", "units")
    assert "at least 4" in texts(ax) and not ax.collections


# Timeline ---------------------------------------------------------------------------
def test_the_timeline_has_one_lane_per_recorded_worker():
    records = [trial(0, 1.0, started=100.0, finished=103.0, metrics={"worker": "a:1"}),
               trial(1, 1.0, started=100.5, finished=102.0, metrics={"worker": "a:2"}),
               trial(2, None, TrialState.FAILED, started=102.0, finished=104.0, metrics={"worker": "a:2"}),
               trial(3, 1.0, started=103.0, finished=106.0, metrics={"worker": "a:1"})]
    ax = make(records).plot_timeline()
    bars = {p.get_gid(): p for p in ax.patches}
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a:1", "a:2"]
    assert bars["trial-0"].get_x() == 0 and bars["trial-0"].get_width() == 3
    assert bars["trial-3"].get_y() == bars["trial-0"].get_y() != bars["trial-1"].get_y()
    assert bars["trial-2"].get_facecolor() != bars["trial-1"].get_facecolor()  # failed in another colour
    assert ax.get_title() == "4 trials on 2 workers"


def test_without_worker_ids_lanes_come_from_overlapping_times():
    records = [trial(0, 1.0, started=0.0, finished=2.0), trial(1, 1.0, started=0.5, finished=1.0),
               trial(2, 1.0, started=1.5, finished=3.0), trial(3, 1.0, started=2.5, finished=4.0)]
    ax = make(records).plot_timeline()
    lanes = [round(p.get_y() + p.get_height() / 2) for p in sorted(ax.patches, key=lambda p: p.get_gid())]
    assert lanes == [0, 1, 1, 0]


def identity(params):
    return params["x"]


def test_a_parallel_run_records_its_workers():
    result = kh.tune(identity, {"x": kh.Float(0, 1)}, max_trials=4, n_jobs=2, seed=0, progress=False)
    workers = {t.metrics["worker"] for t in result.records}
    assert 1 <= len(workers) <= 2 and all(":" in w for w in workers)
    assert len(result.plot_timeline().get_yticklabels()) == len(workers)


# Rungs --------------------------------------------------------------------------------
def test_rungs_of_a_real_bandit_run_join_promoted_trials():
    def objective(params, budget):
        return (params["x"] - 0.3) ** 2 + 1.0 / budget

    result = kh.tune(objective, {"x": kh.Float(0, 1)}, seed=0, progress=False, max_trials=15,
                     method=kh.searchers.get("successive_halving", min_budget=1, max_budget=8))
    ax = result.plot_rungs()
    promoted = [t for t in result.records if t.resume_from is not None]
    assert promoted and len([line for line in ax.lines]) == len(promoted)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "4", "8"] and ax.get_xscale() == "log"
    plotted = sum(len(c.get_offsets()) for c in ax.collections[:-1])
    assert plotted == len(result.completed) + sum(t.state is TrialState.PRUNED for t in result.records)


def test_rungs_without_budgets_say_so():
    assert "no trial has a budget" in texts(make([trial(0, 1.0)]).plot_rungs())


# ECDF -----------------------------------------------------------------------------------
def test_the_ecdf_compares_runs_on_one_axes():
    a = make([trial(i, v) for i, v in enumerate([0.1, 0.2, 0.3, 0.4])])
    b = make([trial(i, v) for i, v in enumerate([0.3, 0.5])])
    ax = plot_ecdf({"tpe": a, "random": b})
    assert [line.get_label() for line in ax.lines] == ["tpe, 4 trials", "random, 2 trials"]
    assert list(ax.lines[0].get_xdata()) == [0.1, 0.2, 0.3, 0.4] and list(ax.lines[0].get_ydata()) == [0.25, 0.5, 0.75, 1.0]
    ax2 = a.plot_ecdf(b)
    assert len(ax2.lines) == 2
    with pytest.raises(ValueError, match="minimised and a maximised"):
        plot_ecdf(a, make([trial(0, 1.0)], direction="max"))


def test_a_maximised_ecdf_runs_from_the_best_value_down():
    ax = make([trial(i, v) for i, v in enumerate([0.6, 0.9, 0.8])], direction="max").plot_ecdf()
    assert list(ax.lines[0].get_xdata()) == [0.9, 0.8, 0.6] and ax.xaxis_inverted()


# Too little data ------------------------------------------------------------------------
def test_importance_needs_ten_complete_trials():
    ax = make([trial(i, float(i)) for i in range(9)]).plot_importance()
    assert "at least 10 complete trials" in texts(ax) and not ax.patches
    assert len(make([trial(i, float(i % 4)) for i in range(10)]).plot_importance().patches) == 3


def test_every_kind_says_something_on_a_run_without_completed_trials():
    failed = make([trial(0, None, TrialState.FAILED, started=0.0, finished=1.0)])
    for name, draw in KINDS.items():
        if name in ("slice", "contour"):
            continue
        ax = draw(failed)
        assert ax.texts or ax.patches or ax.collections, name  # a message, or the failed trial (history, timeline)
