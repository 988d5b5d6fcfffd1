"""Existing code, unchanged: KerasTuner's getting-started ``build_model(hp)``, Talos's shipped templates.

The model functions below are written as keras.io's "Getting started with
KerasTuner" guide writes them (the conditional one in the shape of KerasTuner's
``conditional_scope`` documentation, on 8x8 digits); the Talos ones are Talos's
own ``talos.templates.models``/``params``, with only ``epochs`` overridden.
"""

import numpy as np
import pytest

import keras_hpo as kh

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")
talos = pytest.importorskip("talos")

from tensorflow import keras  # noqa: E402,F811 - as the guide imports it
from tensorflow.keras import layers  # noqa: E402


# keras.io, "Getting started with KerasTuner": the model with a tuned number of layers ----------------------------
def build_model(hp):
    model = keras.Sequential()
    model.add(layers.Flatten())
    # Tune the number of layers.
    for i in range(hp.Int("num_layers", 1, 3)):
        model.add(
            layers.Dense(
                # Tune number of units separately.
                units=hp.Int(f"units_{i}", min_value=32, max_value=512, step=32),
                activation=hp.Choice("activation", ["relu", "tanh"]),
            )
        )
    if hp.Boolean("dropout"):
        model.add(layers.Dropout(rate=0.25))
    model.add(layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-4, max_value=1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


# KerasTuner's conditional hyperparameters: a model type, each branch under its conditional_scope ----------------
def build_conditional_model(hp):
    model = keras.Sequential()
    model_type = hp.Choice("model_type", ["mlp", "cnn"])
    if model_type == "mlp":
        with hp.conditional_scope("model_type", "mlp"):
            model.add(layers.Flatten())
            model.add(layers.Dense(hp.Int("units", 32, 128, step=32), activation="relu"))
    if model_type == "cnn":
        with hp.conditional_scope("model_type", "cnn"):
            model.add(layers.Reshape((8, 8, 1)))
            model.add(layers.Conv2D(hp.Int("filters", 8, 16, step=8), 3, activation="relu"))
            model.add(layers.Flatten())
    model.add(layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.fixture(scope="module")
def images():
    """300 digits as 8x8 images in [0, 1], one-hot labels (the guide's categorical_crossentropy)."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    return (x[:300] / 16.0).reshape(-1, 8, 8).astype("float32"), np.eye(10, dtype="float32")[y[:300]]


def test_the_guides_build_model_runs_unchanged(images, caplog):
    result = kh.tune(build_model, data=images, max_trials=2, metric="val_accuracy", seed=0, progress=False)
    assert set(result.trials["state"]) == {"COMPLETE"}
    assert result.space["units_2"].when == {"num_layers": [3]}
    best = result.best_params
    assert all(f"units_{i}" in best for i in range(best["num_layers"]))
    with caplog.at_level("INFO", logger="keras_hpo"):
        model = result.best_model()  # its kept weights, loaded into a Sequential built without an input shape
    assert "retrain" not in caplog.text
    assert len(model.layers) == 2 + best["num_layers"] + best["dropout"]
    accuracy = float(np.mean(np.argmax(model.predict(images[0][-60:], verbose=0), 1) == np.argmax(images[1][-60:], 1)))
    assert accuracy == pytest.approx(result.best_value, abs=1e-6)


@pytest.mark.parametrize("method", ["random", "bayes"])
def test_the_conditional_build_model_runs_unchanged(images, method):
    result = kh.tune(build_conditional_model, data=images, method=method, max_trials=3, metric="val_accuracy",
                     seed=1, progress=False)
    assert set(result.trials["state"]) == {"COMPLETE"}
    assert result.space["filters"].when == {"model_type": ["cnn"]}
    for trial in result.records:
        assert ("units" in trial.params) == (trial.params["model_type"] == "mlp")
        assert ("filters" in trial.params) == (trial.params["model_type"] == "cnn")


# KerasTuner's HyperModel subclass (keras.io, "Getting started with KerasTuner", "Tune model training") -------------
def _hypermodel_classes():
    import keras_tuner

    class MyHyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            return build_model(hp)

    class WithFit(MyHyperModel):
        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, batch_size=hp.Choice("batch_size", [16, 32]), **kwargs)

    return MyHyperModel, WithFit


def test_a_kerastuner_hypermodel_runs_through_its_build(images):
    pytest.importorskip("keras_tuner")
    MyHyperModel, _ = _hypermodel_classes()
    result = kh.tune(MyHyperModel(), data=images, method="random", max_trials=1, metric="val_accuracy", seed=0,
                     progress=False)
    assert set(result.trials["state"]) == {"COMPLETE"}
    assert result.space["units_2"].when == {"num_layers": [3]}


def test_a_hypermodel_with_its_own_fit_is_refused_before_training(images):
    """KerasTuner calls ``HyperModel.fit``; keras_hpo trains the model itself, so that fit (and its batch_size) would
    be skipped without a word: refused, saying where fit's hyperparameters go."""
    pytest.importorskip("keras_tuner")
    _, WithFit = _hypermodel_classes()
    with pytest.raises(TypeError, match=r"WithFit overrides keras_tuner.HyperModel.fit.*hp.Choice\('batch_size'"):
        kh.tune(WithFit(), data=images, max_trials=1, progress=False)


def test_an_hp_int_with_min_above_max_stops_before_training(images):
    def broken(hp):
        model = build_model(hp)
        hp.Int("batch", 64, 8)
        return model

    with pytest.raises(ValueError, match=r"'batch'.*min_value=64 is above max_value=8"):
        kh.tune(broken, data=images, max_trials=2, progress=False)


# Talos's own templates -----------------------------------------------------------------------------------------
def _iris():
    from sklearn.datasets import load_iris

    x, y = load_iris(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(y))  # the template's dataset is shuffled too (df.sample)
    return x[order].astype("float32"), np.eye(3, dtype="float32")[y[order]]


def _breast_cancer():
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x[:300].astype("float32"), y[:300].astype("float32")


def _titanic():
    """A table shaped like Talos's titanic data (age, sibsp, parch and the one-hot class/embark_town/who/deck/sex
    columns: 21 features, binary survival), generated here because the real one is a download."""
    rng = np.random.default_rng(0)
    n = 300
    sex, klass = rng.integers(2, size=n), rng.integers(3, size=n)
    who, town, deck = rng.integers(3, size=n), rng.integers(3, size=n), rng.integers(7, size=n)
    columns = [rng.uniform(1, 80, n) / 80, rng.integers(0, 4, n), rng.integers(0, 3, n)]
    for values, levels in ((klass, 3), (town, 3), (who, 3), (deck, 7), (sex, 2)):
        columns.extend(np.eye(levels)[values].T)
    x = np.column_stack(columns)
    y = (rng.uniform(size=n) < 0.2 + 0.5 * (sex == 1) + 0.2 * (klass == 0)).astype(int)
    return x, y


TEMPLATES = {"iris": _iris, "breast_cancer": _breast_cancer, "titanic": _titanic}


def _params(name):
    params = getattr(talos.templates.params, name)()
    params["epochs"] = [2]  # the only change: fewer epochs
    return params


@pytest.fixture
def keras3_early_stopper(monkeypatch):
    """Talos's ``early_stopper`` builds ``EarlyStopping(monitor="val_f1score", mode="auto")``, which Keras 3 refuses
    (it cannot tell the direction of a custom metric; ``talos.Scan`` fails the same way, see
    ``test_breast_cancer_fails_as_under_talos_scan``). Giving it ``mode="max"``, the fix Keras asks for, is the only
    change; the template itself runs as shipped."""
    import talos.model

    original = talos.model.early_stopper

    def early_stopper(*args, **kwargs):
        callback = original(*args, **kwargs)
        if callback.monitor.endswith("f1score"):
            callback.mode = "max"
        return callback

    monkeypatch.setattr(talos.model, "early_stopper", early_stopper)


@pytest.mark.parametrize("method", ["talos", "grid", "random", "bayes"])
@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_talos_templates_run_unchanged(name, method, keras3_early_stopper):
    model = getattr(talos.templates.models, name)
    result = kh.tune(model, _params(name), data=TEMPLATES[name](), method=method, max_trials=2, seed=0, progress=False)
    assert set(result.trials["state"]) == {"COMPLETE"}, result.trials["error"].tolist()
    assert result.best_params["optimizer"].startswith("keras.optimizers.")
    analyze = talos.Analyze(result.to_talos())
    best = analyze.best_params("val_loss", [], ascending=True)
    assert best.shape[1] == len(_params(name)) + 1  # the parameters and Talos's index_num, nothing else


def test_the_template_gets_the_objects_and_best_params_name_them():
    received = []

    def spy(x_train, y_train, x_val, y_val, params):
        received.append(params)
        return talos.templates.models.iris(x_train, y_train, x_val, y_val, params)

    params = _params("iris")
    result = kh.tune(spy, params, data=_iris(), method="random", max_trials=1, seed=0, progress=False)
    assert received[0]["optimizer"] in params["optimizer"]
    assert received[0]["activation"] in params["activation"]
    assert received[0]["last_activation"] is params["last_activation"][0]
    assert result.best_params["last_activation"] == "keras.activations.softmax"
    assert result.space["optimizer"].values() == ["keras.optimizers.Adam", "keras.optimizers.Adagrad"]


def test_breast_cancer_fails_as_under_talos_scan():
    """Without the fixture above, Talos's breast_cancer template fails inside Keras 3 under ``talos.Scan`` too; here
    every trial is FAILED with Keras's own message, and the run says so."""
    with pytest.raises(kh.AllTrialsFailed, match="EarlyStopping callback received monitor=val_f1score"):
        kh.tune(talos.templates.models.breast_cancer, _params("breast_cancer"), data=_breast_cancer(),
                method="random", max_trials=1, seed=0, progress=False)


# The README's "Bring your own code" examples, as written (smaller budgets) -----------------------------------------
def _readme_block(marker):
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    return next(b for b in re.findall(r"```python\n(.*?)```", readme, flags=re.S) if marker in b)


def test_readme_kerastuner_example_runs(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    block = _readme_block("def build_model(hp)").replace("max_trials=20", "max_trials=2")
    block = block.replace("x, y = load_digits(return_X_y=True)", "x, y = load_digits(return_X_y=True); x, y = x[:300], y[:300]")
    namespace: dict = {}
    exec(compile(block, "README", "exec"), namespace)
    result = namespace["result"]
    assert str(result.space["units_2"]) == "Int(32, 512, step=32, when={'num_layers': [3]})"
    assert len(result.records) == 2 and 0 < result.best_value <= 1


def test_readme_talos_example_runs(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    block = _readme_block("talos.templates.params.iris()")
    assert 'get("talos", round_limit=10)' in block  # as talos.Scan(round_limit=10): 10 rows sampled across the grid
    block = block.replace('get("talos", round_limit=10)', 'get("talos", round_limit=2)')
    block = block.replace('p["epochs"] = [5]', 'p["epochs"] = [2]')
    block = block.replace("talos.Analyze(", "best = talos.Analyze(")
    namespace: dict = {}
    exec(compile(block, "README", "exec"), namespace)
    assert namespace["best"].shape == (2, len(namespace["p"]) + 1)  # parameters (and Talos's index_num) only
    assert namespace["scan"].best_params["optimizer"] in ("keras.optimizers.Adam", "keras.optimizers.Adagrad")


def test_keras_objects_survive_the_space_json_round_trip():
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.1)
    space = kh.Space({"optimizer": [keras.optimizers.Adam, keras.optimizers.SGD], "activation": [keras.activations.relu],
                      "loss": [loss, "mse"]})
    assert space["optimizer"].values() == ["keras.optimizers.Adam", "keras.optimizers.SGD"]
    assert space["loss"].values() == ["keras.losses.CategoricalCrossentropy(label_smoothing=0.1)", "mse"]
    again = kh.Space.from_json(space.to_json())
    assert again == space
    resolved = again.resolve({"optimizer": "keras.optimizers.SGD", "activation": "keras.activations.relu",
                              "loss": "keras.losses.CategoricalCrossentropy(label_smoothing=0.1)"})
    assert resolved["optimizer"] is keras.optimizers.SGD and resolved["activation"] is keras.activations.relu
    assert type(resolved["loss"]) is type(loss) and resolved["loss"].get_config() == loss.get_config()


def test_a_talos_template_study_resumes_from_storage(tmp_path):
    db = str(tmp_path / "talos.db")
    model = talos.templates.models.titanic
    first = kh.tune(model, _params("titanic"), data=_titanic(), method="random", max_trials=1, seed=0, storage=db,
                    study="t", progress=False)
    again = kh.tune(model, _params("titanic"), data=_titanic(), method="random", max_trials=2, seed=0, storage=db,
                    study="t", resume=True, progress=False)
    assert len(again.records) == 2 and again.records[0] == first.records[0]
    stored = kh.load(db, "t")
    assert stored.space == again.space
    assert stored.space.resolve(stored.best_params)["optimizer"] in (keras.optimizers.Adam, keras.optimizers.Adagrad)
