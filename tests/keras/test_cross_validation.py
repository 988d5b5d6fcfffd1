"""Cross-validated Keras trials: one training per split, scored by the mean, spread kept."""

import numpy as np
import pytest

import keras_hpo as kh

pytestmark = pytest.mark.keras

SPACE = {"units": [4, 8], "epochs": 2, "batch_size": 16, "learning_rate": 0.01}


def test_every_trial_is_trained_on_every_split(small):
    result = kh.tune(kh.keras.mlp(6, 2), SPACE, data=small, cv=3, metric="val_accuracy", method="grid",
                     seed=0, progress=False)
    assert len(result.records) == 2
    for trial in result.records:
        assert len(trial.folds) == 3
        assert trial.value == pytest.approx(np.mean(trial.folds))
        assert trial.metrics["value_std"] == pytest.approx(np.std(trial.folds, ddof=1))
    assert list(result.trials.columns[-3:]) == ["split_0", "split_1", "split_2"]
    model = result.best_model()  # the best configuration trained on all the data
    assert model.predict(small[0][:5], verbose=0).shape == (5, 2)


def test_holdout_repeats_and_reevaluation(small):
    result = kh.tune(kh.keras.mlp(6, 2), SPACE, data=small, cv=kh.Holdout(fraction=0.25, repeats=2),
                     method="grid", seed=1, progress=False)
    assert all(len(t.folds) == 2 for t in result.records)
    table = result.reevaluate(top=2, repeats=2)
    assert (table["runs"] == 2).all() and set(table["rank_reevaluated"]) <= {1, 2}


def test_cv_refuses_a_given_validation_set(small):
    x, y = small
    with pytest.raises(ValueError, match="do not pass a validation set"):
        kh.tune(kh.keras.mlp(6, 2), SPACE, data=(x[:60], y[:60], x[60:], y[60:]), cv=3, max_trials=1, progress=False)
