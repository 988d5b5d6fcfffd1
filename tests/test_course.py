"""The self-checks of the course assignments (keras_hpo.course): right answers pass, wrong ones get a hint."""

import doctest

import numpy as np
import pandas as pd
import pytest

import keras_hpo as kh
from keras_hpo import course
from keras_hpo.trial import Trial, TrialState

LANGS = ["en", "es"]
HINT = {"en": "Hint:", "es": "Pista:"}
GARBAGE = [None, 3, "text", [], {}, object()]


def failed(feedback, lang):
    """Not passed, says so in the language, and carries a hint."""
    text = repr(feedback)
    return not feedback and text.startswith("❌") and HINT[lang] in text


def passed(feedback):
    return bool(feedback) and repr(feedback).startswith("✅")


def quadratic(p):
    return {"val_accuracy": 1 - (p["x"] - 0.5) ** 2}


def run(method="random", trials=9, seed=0, space=None, **kwargs):
    space = space or {"x": kh.Float(0, 1), "y": kh.Float(0, 1)}
    return kh.tune(lambda p: (p["x"] - 0.3) ** 2, space, method=method, max_trials=trials, seed=seed,
                   progress=False, **kwargs)


def test_docstring_example():
    failures, tried = doctest.testmod(course, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        course.check_answer("", lang="fr")


@pytest.mark.parametrize("lang", LANGS)
def test_every_check_survives_garbage_with_a_hint(lang):
    table = pd.DataFrame({"x": [1]})
    for value in GARBAGE:
        assert failed(course.check_space(value, lang=lang), lang)
        assert failed(course.check_budget(value, 30, lang=lang), lang)
        assert failed(course.check_beats(value, 0.5, lang=lang), lang)
        assert failed(course.check_grid_vs_random(value, value, 9, lang=lang), lang)
        assert failed(course.check_distinct(value, value, value, value, "x", lang=lang), lang)
        assert failed(course.check_answer(value, lang=lang), lang)
        assert failed(course.check_tuned(value, lang=lang), lang)
        assert failed(course.check_cv(value, lang=lang), lang)
        assert failed(course.check_reevaluation(value, lang=lang), lang)
        assert failed(course.check_reevaluation(table, lang=lang), lang)
        assert failed(course.check_verdict(value, value, lang=lang), lang)
        if value is not None and not isinstance(value, (list, str)):
            assert failed(course.check_important(value, lang=lang), lang)


def test_messages_are_in_the_chosen_language():
    assert "Not yet" in repr(course.check_space(None, lang="en"))
    assert "Todavía no" in repr(course.check_space(None, lang="es"))
    assert "espacio" in repr(course.check_space({"a": [1, 2], "b": [1, 2]}, lang="es"))


def test_every_message_exists_in_both_languages():
    for key, texts in course._TEXT.items():
        assert set(texts) == set(LANGS), key
        assert bool(texts["en"][1]) == bool(texts["es"][1]), key   # a hint in one language, a hint in the other


@pytest.mark.parametrize("lang", LANGS)
def test_check_space(lang):
    assert passed(course.check_space({"lr": kh.Float(1e-4, 1e-1, log=True), "units": [16, 32], "act": ["relu"],
                                      "epochs": 3}, min_searched=3, lang=lang))
    few = course.check_space({"lr": kh.Float(1e-4, 1e-1, log=True), "epochs": 3}, min_searched=3, lang=lang)
    assert failed(few, lang) and "lr" in repr(few)
    assert failed(course.check_space({"lr": kh.Float(1, 0)}, lang=lang), lang)   # low >= high


@pytest.mark.parametrize("lang", LANGS)
def test_check_budget_and_beats(lang):
    space = {"x": kh.Float(0, 1)}
    result = kh.tune(quadratic, space, metric="val_accuracy", max_trials=12, seed=0, progress=False)
    assert passed(course.check_budget(result, 12, lang=lang))
    assert failed(course.check_budget(result, 11, lang=lang), lang)
    assert passed(course.check_beats(result, 0.5, lang=lang))
    assert failed(course.check_beats(result, 1.0, lang=lang), lang)
    assert failed(course.check_beats(result, 0.5, metric="val_loss", lang=lang), lang)   # another metric
    loss = kh.tune(lambda p: {"val_loss": (p["x"] - 0.5) ** 2}, space, metric="val_loss", max_trials=12, seed=0,
                   progress=False)
    assert passed(course.check_beats(loss, 0.1, metric="val_loss", lang=lang))        # lower is better here
    assert failed(course.check_beats(loss, 0.0, metric="val_loss", lang=lang), lang)
    nothing = kh.TuneResult([Trial(number=0, params={"x": 0.1}, state=TrialState.FAILED, error="boom")],
                            space=kh.Space(space), direction="max", metric="val_accuracy")
    assert failed(course.check_budget(nothing, 12, lang=lang), lang)                       # no trial completed


@pytest.mark.parametrize("lang", LANGS)
def test_check_grid_vs_random(lang):
    grid = run("grid", space={"x": [0.1, 0.5, 0.9], "y": [0.1, 0.5, 0.9]}, trials=None)
    randoms = [run(seed=s) for s in range(5)]
    assert passed(course.check_grid_vs_random(grid, randoms, 9, lang=lang))
    assert failed(course.check_grid_vs_random(grid, randoms[:4], 9, lang=lang), lang)            # too few seeds
    assert failed(course.check_grid_vs_random(grid, [run(seed=0)] * 5, 9, lang=lang), lang)      # same seed
    assert failed(course.check_grid_vs_random(grid, [run(trials=8, seed=s) for s in range(5)], 9, lang=lang), lang)
    assert failed(course.check_grid_vs_random(randoms[0], randoms, 9, lang=lang), lang)          # not a grid
    assert failed(course.check_grid_vs_random(grid, [grid] * 5, 9, lang=lang), lang)             # not random


@pytest.mark.parametrize("lang", LANGS)
def test_check_distinct(lang):
    grid = run("grid", space={"x": [0.1, 0.5, 0.9], "y": [0.1, 0.5, 0.9]}, trials=None)
    rand = run(seed=0)
    assert passed(course.check_distinct(3, 9, grid, rand, "x", lang=lang))
    assert passed(course.check_distinct(np.int64(3), np.int64(9), grid, rand, "x", lang=lang))
    assert failed(course.check_distinct(9, 9, grid, rand, "x", lang=lang), lang)
    assert failed(course.check_distinct(3, 3, grid, rand, "x", lang=lang), lang)
    assert failed(course.check_distinct(True, 9, grid, rand, "x", lang=lang), lang)


@pytest.mark.parametrize("lang", LANGS)
def test_check_answer(lang):
    assert failed(course.check_answer("   ", lang=lang), lang)
    assert failed(course.check_answer("random wins", lang=lang), lang)
    assert passed(course.check_answer(" ".join(["word"] * 20), lang=lang))


def test_mystery_depends_on_two_parameters():
    """Moving each parameter over its range: the two that matter move the loss far more than the others."""
    rng = np.random.default_rng(0)
    space = course.MYSTERY_SPACE
    effect = {}
    for name in space:
        spans = []
        for _ in range(20):
            point = space.sample(rng)
            values = [course.mystery({**point, name: space.sample(rng)[name]}) for _ in range(10)]
            spans.append(max(values) - min(values))
        effect[name] = float(np.median(spans))
    ranked = sorted(effect, key=effect.get, reverse=True)
    assert set(ranked[:2]) == set(course._MATTERS)
    assert effect[ranked[2]] < 0.2 * effect[ranked[1]]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1])
def test_the_solution_method_finds_what_matters(seed):
    """What assignment 3's solution does (bayes, 30 trials, two shortest length scales) names the right two.

    The solution notebook itself runs seed 0 (tests/test_notebooks.py); another seed shows it is not luck.
    """
    bayes = kh.searchers.get("bayes", n_candidates=256)
    result = kh.tune(course.mystery, course.MYSTERY_SPACE, method=bayes, max_trials=30, seed=seed, progress=False)
    scales = result.length_scales()
    assert passed(course.check_important(sorted(scales, key=scales.get)[:2]))


@pytest.mark.parametrize("lang", LANGS)
def test_check_tuned_and_important(lang):
    result = kh.tune(course.mystery, course.MYSTERY_SPACE, method="random", max_trials=12, seed=0, progress=False)
    assert failed(course.check_tuned(result, min_trials=30, lang=lang), lang)
    assert passed(course.check_tuned(result, min_trials=12, lang=lang))
    assert passed(course.check_important(["dropout", "learning_rate"], lang=lang))
    assert passed(course.check_important(("learning_rate", "dropout"), lang=lang))
    assert failed(course.check_important(["learning_rate"], lang=lang), lang)                    # one missing
    assert failed(course.check_important(["learning_rate", "dropout", "units"], lang=lang), lang)  # one too many
    assert failed(course.check_important(["learning_rate", "units"], lang=lang), lang)
    assert failed(course.check_important(["learning_rate", "lr"], lang=lang), lang)              # unknown name
    assert "empty" in repr(course.check_important([], lang="en")) and failed(course.check_important([], lang=lang), lang)
    assert failed(course.check_important([1, 2], lang=lang), lang)


def _cv_result(folds):
    records = [Trial(number=i, params={"x": 0.1 * i}, state=TrialState.COMPLETE, value=0.5 + 0.1 * i, folds=f)
               for i, f in enumerate(folds)]
    return kh.TuneResult(records, space=kh.Space({"x": kh.Float(0, 1)}), direction="max", metric="val_accuracy")


def _table(ranks, runs=3):
    return pd.DataFrame({"number": range(len(ranks)), "mean": 0.9, "std": 0.01, "runs": runs,
                         "rank_tuning": range(1, len(ranks) + 1), "rank_reevaluated": ranks})


@pytest.mark.parametrize("lang", LANGS)
def test_check_cv_reevaluation_and_verdict(lang):
    assert passed(course.check_cv(_cv_result([[0.5, 0.6, 0.7], [0.6, 0.7, 0.8]]), lang=lang))
    assert failed(course.check_cv(_cv_result([[], []]), lang=lang), lang)                # no cross-validation
    assert failed(course.check_cv(_cv_result([[0.5, 0.6], [0.6, 0.7]]), lang=lang), lang)  # only 2 folds
    assert passed(course.check_reevaluation(_table([1, 2]), lang=lang))
    assert failed(course.check_reevaluation(_table([1]), lang=lang), lang)                 # one configuration
    assert failed(course.check_reevaluation(_table([1, 2], runs=2), lang=lang), lang)      # too few runs
    assert passed(course.check_verdict(True, _table([1, 2]), lang=lang))
    assert passed(course.check_verdict(np.bool_(True), _table([1, 2]), lang=lang))
    assert failed(course.check_verdict(False, _table([1, 2]), lang=lang), lang)
    assert passed(course.check_verdict(False, _table([2, 1]), lang=lang))
    assert failed(course.check_verdict(True, _table([2, 1]), lang=lang), lang)
    assert failed(course.check_verdict("yes", _table([2, 1]), lang=lang), lang)
