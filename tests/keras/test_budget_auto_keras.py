"""``budget="auto"`` on a real (tiny) Keras model: the default method shares out the space's epochs (Hyperband)."""

import pytest

import keras_hpo as kh

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")


def _tiny(params):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(params["units"], activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(params["learning_rate"]), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_a_keras_model_with_epochs_and_no_trial_limit_gets_a_bandit(digits):
    space = {"units": [4, 8], "learning_rate": kh.Float(1e-3, 3e-2, log=True), "batch_size": 64, "epochs": 3}
    result = kh.tune(_tiny, space, data=digits, budget="auto", metric="val_accuracy", seed=0, progress=False)
    assert [step["method"] for step in result.method_history] == ["hyperband"]
    assert "bayes" in result.method_history[0]["reason"]
    trained = sorted({t.metrics["epochs_trained"] for t in result.records})
    assert trained == [1, 3]  # many arms on one epoch, the best on all three
    assert "epochs" not in result.best_params and 0.0 < result.best_value <= 1.0


def test_budget_auto_without_epochs_fails_before_training(digits):
    calls = []

    def model_fn(params):
        calls.append(params)
        return _tiny(params)

    with pytest.raises(ValueError, match="budget.*epochs"):
        kh.tune(model_fn, {"units": [4, 8], "learning_rate": 0.01}, data=digits, budget="auto", max_trials=2,
                progress=False)
    assert calls == []
