import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

import keras_hpo as kh  # noqa: E402
from keras_hpo.plots import importances  # noqa: E402


@pytest.fixture(scope="module")
def result():
    def objective(params):
        if params["x"] > 0.95:
            raise RuntimeError("a failure to mark")
        return (params["x"] - 0.2) ** 2 * 10 + 0.01 * params["irrelevant"] + (0.5 if params["act"] == "tanh" else 0)

    space = {"x": kh.Float(0, 1), "irrelevant": kh.Float(0, 1), "act": ["relu", "tanh"], "epochs": 3}
    return kh.tune(objective, space, max_trials=60, seed=0, progress=False)


def test_importance_ranks_the_parameters_that_matter(result):
    scores = importances(result)
    assert set(scores) == {"x", "irrelevant", "act"}  # fixed parameters are left out
    assert scores["x"] > scores["irrelevant"] and scores["act"] > scores["irrelevant"]
    assert all(0 <= v <= 1 for v in scores.values())


def test_plots_draw_on_given_axes(result):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3)
    assert result.plot_history(ax=axes[0]) is axes[0]
    assert len(axes[0].collections) >= 2  # trials, failures
    assert result.plot_importance(ax=axes[1]) is axes[1]
    assert len(axes[1].patches) == 3
    assert result.plot_parallel(ax=axes[2]) is axes[2]
    assert len(axes[2].lines) == len(result.completed)
    plt.close(fig)


def test_ecdf_takes_a_list_of_results_and_names_a_wrong_argument(result):
    """plot_ecdf([a, b]) was an AttributeError ('list' object has no attribute 'direction')."""
    ax = kh.plots.plot_ecdf([result, result])
    assert len(ax.get_lines()) == 2
    with pytest.raises(TypeError, match="results: give tune\\(\\) results \\(or a \\{label: result\\} dict\\), got str"):
        kh.plots.plot_ecdf("random")
