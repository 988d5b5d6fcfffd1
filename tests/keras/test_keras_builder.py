"""build_mlp / mlp / mlp_space: every activation, initializer and optimizer by name, and unknown names refused."""

import numpy as np
import pytest

import keras_hpo as kh
from keras_hpo.keras.builder import ACTIVATIONS, INITIALIZERS, OPTIMIZERS

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")

_CLASSES = {"random_normal": "RandomNormal", "random_uniform": "RandomUniform", "glorot_normal": "GlorotNormal",
            "glorot_uniform": "GlorotUniform", "he_normal": "HeNormal", "he_uniform": "HeUniform",
            "lecun_normal": "LecunNormal", "lecun_uniform": "LecunUniform", "orthogonal": "Orthogonal"}


def _hidden_output(model, i, x):
    """The output of hidden block i (after its activation), as numpy."""
    names = [layer.name for layer in model.layers]
    last = [n for n in names if n in (f"hidden_{i}", f"activation_{i}")][-1]
    probe = keras.Model(model.inputs, model.get_layer(last).output)
    return probe.predict(x, verbose=0)


def test_every_activation_in_one_network_trains(small):
    x, y = small
    params = {"layers": len(ACTIVATIONS), "units": 4, **{f"activation_{i}": a for i, a in enumerate(ACTIVATIONS)}}
    model = kh.keras.mlp(6, 2)(params)
    history = model.fit(x, y, epochs=1, batch_size=40, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for i, name in enumerate(ACTIVATIONS):
        block = [layer for layer in model.layers if layer.name in (f"hidden_{i}", f"activation_{i}")][-1]
        if name == "maxout":
            assert type(block).__name__ == "Maxout"
        elif name == "leaky_relu":
            assert type(block).__name__ == "LeakyReLU" and block.negative_slope == pytest.approx(0.1)
        else:
            expected = "silu" if name == "swish" else name
            assert block.activation.__name__ == expected


@pytest.mark.parametrize("name, negative, positive", [
    ("relu", 0.0, 2.0), ("leaky_relu", -0.2, 2.0), ("elu", np.expm1(-2.0), 2.0), ("linear", -2.0, 2.0),
    ("sigmoid", 1 / (1 + np.exp(2.0)), 1 / (1 + np.exp(-2.0))), ("tanh", np.tanh(-2.0), np.tanh(2.0)),
    ("softplus", np.log1p(np.exp(-2.0)), np.log1p(np.exp(2.0))),
    ("selu", 1.0507009873554805 * 1.6732632423543772 * np.expm1(-2.0), 1.0507009873554805 * 2.0),
    ("swish", -2.0 / (1 + np.exp(2.0)), 2.0 / (1 + np.exp(-2.0))),
])
def test_activation_values(name, negative, positive):
    model = kh.keras.build_mlp({"layers": 1, "units": 1, "activation": name, "initializer": "orthogonal"}, 1, 1)
    kernel, bias = model.get_layer("hidden_0").get_weights()
    model.get_layer("hidden_0").set_weights([np.ones_like(kernel), np.zeros_like(bias)])
    out = _hidden_output(model, 0, np.array([[-2.0], [2.0]], dtype="float32"))
    np.testing.assert_allclose(out.ravel(), [negative, positive], rtol=1e-4, atol=1e-6)


def test_every_initializer_is_used(small):
    x, y = small
    params = {"layers": len(INITIALIZERS), "units": 4, **{f"initializer_{i}": n for i, n in enumerate(INITIALIZERS)}}
    model = kh.keras.mlp(6, 2)(params)
    for i, name in enumerate(INITIALIZERS):
        assert type(model.get_layer(f"hidden_{i}").kernel_initializer).__name__ == _CLASSES[name]
    assert np.isfinite(model.fit(x, y, epochs=1, batch_size=40, verbose=0).history["loss"][0])


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_trains(name, small):
    x, y = small
    model = kh.keras.mlp(6, 2)({"units": 4, "optimizer": name, "learning_rate": 0.05})
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, epochs=1, batch_size=40, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(0.05)
    if name in ("momentum", "nesterov"):
        assert model.optimizer.momentum == pytest.approx(0.9) and model.optimizer.nesterov == (name == "nesterov")


def test_layers_units_dropout_and_batch_norm():
    model = kh.keras.build_mlp({"layers": 3, "units": 8, "units_1": 5, "dropout": 0.25, "batch_norm": True}, (8, 8), 3)
    names = [layer.name for layer in model.layers]
    assert names[:2] == ["inputs", "flatten"]
    assert [model.get_layer(f"hidden_{i}").units for i in range(3)] == [8, 5, 8]
    assert all(f"batch_norm_{i}" in names and f"dropout_{i}" in names for i in range(3))
    assert model.get_layer("dropout_0").rate == 0.25 and model.output_shape == (None, 3)


@pytest.mark.parametrize("task, outputs, loss, activation", [
    ("classification", 10, "sparse_categorical_crossentropy", "softmax"),
    ("classification", 1, "binary_crossentropy", "sigmoid"),
    ("regression", 2, "mse", "linear"),
])
def test_mlp_heads(task, outputs, loss, activation):
    model = kh.keras.mlp(4, outputs, task=task)({"units": 3})
    assert model.loss == loss and model.get_layer("output").activation.__name__ == activation


@pytest.mark.parametrize("params, kind", [
    ({"activation": "relu6"}, "activation"), ({"activation_1": "softsign", "layers": 2}, "activation"),
    ({"initializer": "zeros"}, "initializer"), ({"optimizer": "lbfgs"}, "optimizer"),
])
def test_unknown_names_list_the_known_ones(params, kind):
    table = {"activation": ACTIVATIONS, "initializer": INITIALIZERS, "optimizer": OPTIMIZERS}[kind]
    with pytest.raises(ValueError, match=f"unknown {kind}") as info:
        kh.keras.mlp(4, 2)(params)
    assert all(name in str(info.value) for name in table)
    with pytest.raises(ValueError, match=f"unknown {kind}"):
        kh.keras.mlp(4, 2).check_space({k: [v] if isinstance(v, str) else v for k, v in params.items()})


def test_unknown_names_fail_in_tune_before_any_training(small):
    built = []

    class Counting(kh.keras.MLP):
        def __call__(self, params):
            built.append(params)
            return super().__call__(params)

    space = {"units": 4, "activation": ["relu", "mish"], "epochs": 1}
    with pytest.raises(ValueError, match="activation: unknown activation 'mish'"):
        kh.tune(Counting(6, 2), space, data=small, max_trials=2, progress=False)
    with pytest.raises(ValueError, match="optimizer: unknown optimizer 'adamx'"):
        kh.tune(lambda p: built.append(p), {"optimizer": ["adam", "adamx"]}, data=small, max_trials=2, progress=False)
    assert built == []


def test_names_are_case_insensitive_and_bad_sizes_are_refused():
    assert kh.keras.build_mlp({"activation": "ReLU", "initializer": "He_Normal"}, 4, 1).count_params() > 0
    with pytest.raises(ValueError, match="units_0"):
        kh.keras.build_mlp({"units": 0}, 4, 1)
    with pytest.raises(ValueError, match="dropout"):
        kh.keras.build_mlp({"dropout": 1.0}, 4, 1)
    with pytest.raises(ValueError, match="task"):
        kh.keras.mlp(4, 2, task="ranking")


def test_mlp_space_is_conditional_and_every_point_builds():
    space = kh.keras.mlp_space(max_layers=3, per_layer_activation=True)
    assert space["units_2"].when == {"layers": [3]} and space["activation_1"].when == {"layers": [2, 3]}
    kh.keras.mlp(4, 2).check_space(space)
    rng = np.random.default_rng(0)
    for _ in range(5):
        params = space.sample(rng)
        model = kh.keras.mlp(4, 2)(params)
        assert len([layer for layer in model.layers if layer.name.startswith("hidden_")]) == params["layers"]
    with pytest.raises(ValueError, match="unknown activation"):
        kh.keras.mlp_space(activations=["relu", "mish"])


def test_mlp_without_data_is_refused():
    with pytest.raises(ValueError, match="data"):
        kh.tune(kh.keras.mlp(4, 2), {"units": [2, 3]}, max_trials=1, progress=False)


def test_any_optimizer_keras_knows_is_accepted(small):
    from keras_hpo.keras.builder import check_names, make_optimizer

    check_names(kh.Space({"optimizer": ["adam", "ftrl", "lion"]}))
    assert type(make_optimizer("lion", 0.01)).__name__ == "Lion"
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'.*keras.optimizers.get"):
        check_names(kh.Space({"optimizer": ["adamm"]}))
    result = kh.tune(kh.keras.mlp(6, 2), {"optimizer": ["ftrl", "lion"], "epochs": 1, "learning_rate": 0.01},
                     data=small, method="grid", progress=False)
    assert [t.state for t in result.records] == [kh.TrialState.COMPLETE] * 2


@pytest.mark.parametrize("space, message", [
    ({"units": kh.Float(16, 64)}, "units: must be an integer"),
    ({"layers": [1.0, 2.0]}, "layers: 1.0 is not a number of hidden layers"),
    ({"maxout_k": [0, 2], "activation": "maxout"}, "maxout_k: 0 is not a number of linear pieces"),
    ({"dropout": [0.0, 1.0]}, r"dropout: 1.0 is not a rate in \[0, 1\)"),
    ({"units_1": kh.Int(0, 8)}, "units_1: 0 is not a number of units"),
])
def test_impossible_sizes_fail_before_training(small, space, message):
    calls = []
    with pytest.raises(ValueError, match=message):
        kh.tune(kh.keras.mlp(6, 2), {**space, "epochs": 1}, data=small, max_trials=2, progress=False,
                callbacks=[lambda r, t: calls.append(t)])
    assert calls == []


@pytest.mark.parametrize("key, message", [
    ("unit", r"^'unit' is not a key of mlp; did you mean 'units'\?"),
    ("lr", r"^'lr' is not a key of mlp; did you mean 'learning_rate'\?"),
    ("first_neuron", r"did you mean 'units'\?"),
    ("activaton_1", r"did you mean 'activation'\?"),
    ("loss", r"'loss' is not a key of mlp; pass loss= to kh.keras.mlp"),
    ("colour", r"^'colour' is not a key of mlp \(mlp reads layers, units"),
])
def test_a_key_mlp_does_not_read_is_refused_before_training(small, key, message, monkeypatch):
    fits = []
    monkeypatch.setattr(keras.Model, "fit", lambda *a, **k: fits.append(1))
    with pytest.raises(ValueError, match=message):
        kh.tune(kh.keras.mlp(6, 2), {"units": [4], key: [0.01, 0.1]}, data=small, max_trials=1, progress=False)
    assert fits == []


def test_every_key_mlp_documents_is_accepted():
    space = {"layers": [2], "units": [4], "units_1": [3], "activation": ["relu"], "activation_0": ["tanh"],
             "initializer": ["he_normal"], "initializer_1": ["orthogonal"], "dropout": [0.1], "batch_norm": [True],
             "maxout_k": [2], "optimizer": ["adam"], "learning_rate": [0.01], "epochs": [1], "batch_size": [8],
             "shuffle": [False], "validation_split": [0.2]}
    kh.keras.mlp(4, 2).check_space(space)
