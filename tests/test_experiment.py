import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo.experiment import class_labels


def _check_partition(splits, n):
    for train, validation in splits:
        assert len(np.intersect1d(train, validation)) == 0
        assert sorted(np.concatenate([train, validation]).tolist()) == list(range(n))


def test_k_fold_partitions_the_samples():
    y = np.arange(23) % 3
    splits = kh.CV(k=5, seed=0).splits(y)
    assert len(splits) == 5
    _check_partition(splits, 23)
    validation = np.concatenate([v for _, v in splits])
    assert sorted(validation.tolist()) == list(range(23))  # each sample validates exactly once


def test_stratified_folds_keep_the_class_balance():
    y = np.array([0] * 40 + [1] * 10)
    for _, validation in kh.CV(k=5, seed=1).splits(y):
        assert (y[validation] == 1).sum() == 2 and (y[validation] == 0).sum() == 8
    unstratified = kh.CV(k=5, seed=1, stratify=False).splits(y)
    assert any((y[v] == 1).sum() != 2 for _, v in unstratified)


def test_splits_depend_only_on_the_seed():
    y = np.arange(30) % 2
    a, b = kh.CV(k=3, repeats=2).splits(y, seed=4), kh.CV(k=3, repeats=2).splits(y, seed=4)
    assert all(np.array_equal(x[1], z[1]) for x, z in zip(a, b))
    c = kh.CV(k=3).splits(y, seed=5)
    assert not all(np.array_equal(x[1], z[1]) for x, z in zip(a, c))
    assert not np.array_equal(a[0][1], a[3][1])  # the second repeat reshuffles


def test_unshuffled_folds_are_contiguous():
    splits = kh.CV(k=2, shuffle=False, stratify=False).splits(np.zeros(6))
    assert [v.tolist() for _, v in splits] == [[0, 1, 2], [3, 4, 5]]


def test_repeated_holdout():
    y = np.array([0] * 30 + [1] * 20)
    splits = kh.Holdout(fraction=0.2, repeats=4, seed=0).splits(y)
    assert len(splits) == 4
    _check_partition(splits, 50)
    assert all(len(v) == 10 and (y[v] == 1).sum() == 4 for _, v in splits)
    assert len({tuple(v) for _, v in splits}) == 4


def test_class_labels_are_recognised():
    assert class_labels(np.array(["a", "b", "a", "b"])) is not None
    assert class_labels(np.eye(3)[[0, 1, 2, 1, 0, 2]]).tolist() == [0, 1, 2, 1, 0, 2]
    assert class_labels(np.linspace(0, 1, 50)) is None  # regression targets


@pytest.mark.parametrize(
    "cv, error, message",
    [
        (1, ValueError, "k must be at least 2"),
        (kh.CV(k=3, repeats=0), ValueError, "repeats must be a positive integer"),
        (kh.CV(k=3, repeats=2, shuffle=False), ValueError, "repeats > 1 needs shuffle=True"),
        (kh.Holdout(fraction=1.5), ValueError, "fraction must be between 0 and 1"),
        (True, TypeError, "cv must be an int"),
        ("5", TypeError, "cv must be an int"),
    ],
)
def test_bad_cv_fails_before_any_trial(cv, error, message):
    calls = []
    with pytest.raises(error, match=message):
        kh.tune(lambda p: calls.append(p) or 0.0, {"x": kh.Float(0, 1)}, data=(np.zeros((20, 2)), np.zeros(20)),
                cv=cv, max_trials=2, progress=False)
    assert calls == []


def test_cv_needs_data():
    with pytest.raises(ValueError, match="cv: cross-validation splits data"):
        kh.tune(lambda p: 0.0, {"x": kh.Float(0, 1)}, cv=3, max_trials=2, progress=False)


def test_stratify_on_regression_targets_is_an_error():
    with pytest.raises(ValueError, match="stratify=True needs class labels"):
        kh.CV(k=3, stratify=True).splits(np.linspace(0, 1, 30))


def test_too_few_samples_for_the_folds():
    with pytest.raises(ValueError, match="4 samples cannot make 5 folds"):
        kh.CV(k=5).splits(np.zeros(4))


def test_reevaluate_reruns_the_best_on_fresh_seeds():
    def noisy(params, seed):
        noise = np.random.default_rng(seed).normal(scale=0.05)
        return (params["x"] - 0.5) ** 2 + noise

    result = kh.tune(noisy, {"x": kh.Float(0, 1)}, max_trials=20, seed=0, progress=False)
    table = result.reevaluate(top=3, repeats=6)
    assert list(table["rank_tuning"]) == [1, 2, 3]
    assert (table["runs"] == 6).all() and (table["std"] > 0).all()
    assert sorted(table["rank_reevaluated"].tolist()) == [1, 2, 3]
    assert isinstance(table.attrs["ranking_holds"], bool) and isinstance(table.attrs["best_holds"], bool)
    best = result.best_trial
    assert table.loc[0, "number"] == best.number and table.loc[0, "value"] == best.value
    assert abs(table.loc[0, "mean"] - (best.params["x"] - 0.5) ** 2) < 0.05  # the lucky noise averages out


def test_reevaluate_needs_the_objective(tmp_path):
    db = str(tmp_path / "r.db")
    kh.tune(lambda p: p["x"], {"x": kh.Float(0, 1)}, max_trials=3, storage=db, progress=False)
    with pytest.raises(ValueError, match="reevaluate needs the objective"):
        kh.load(db).reevaluate()
