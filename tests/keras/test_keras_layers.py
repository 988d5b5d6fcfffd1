"""Maxout is a real Keras layer: the max over k linear pieces, saved and loaded with the model."""

import numpy as np
import pytest

import keras_hpo as kh

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")


def test_maxout_is_the_max_over_its_linear_pieces():
    layer = kh.keras.Maxout(3, pieces=4)
    x = np.random.default_rng(0).normal(size=(5, 2)).astype("float32")
    out = keras.ops.convert_to_numpy(layer(x))
    kernel, bias = (keras.ops.convert_to_numpy(w) for w in layer.weights)
    pieces = (x @ kernel + bias).reshape(5, 3, 4)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out, pieces.max(axis=-1), rtol=1e-5)


def test_maxout_round_trips_through_a_saved_model(tmp_path, small):
    x, y = small
    model = kh.keras.build_mlp({"layers": 2, "units": 4, "activation": "maxout", "maxout_k": 3}, 6, 2, "softmax")
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "maxout.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects: the layer is registered
    assert [type(layer).__name__ for layer in loaded.layers[1:3]] == ["Maxout", "Maxout"]
    assert loaded.layers[1].pieces == 3 and loaded.layers[1].units == 4
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5)


@pytest.mark.parametrize("bad", [{"units": 0}, {"units": 2, "pieces": 0}, {"units": 2.5}])
def test_maxout_rejects_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive integer"):
        kh.keras.Maxout(**bad)
