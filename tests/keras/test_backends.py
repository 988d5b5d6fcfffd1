"""The Keras adapter under Keras 3's other backends: a fresh process with KERAS_BACKEND set, as a user would run it.

JAX (CPU) is what ``dev`` installs: 90 MB and seconds to install. PyTorch is tested
the same way when it is installed; ``dev`` does not install it because PyPI's Linux
wheel pulls several GB of CUDA libraries (a CPU build comes only from PyTorch's own index).
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.keras

SCRIPT = textwrap.dedent("""
    import importlib.util, json, keras, numpy as np, keras_hpo as kh
    from sklearn.datasets import load_digits
    x, y = load_digits(return_X_y=True)
    x, y = (x[:300] / 16).astype("float32"), y[:300]

    def build(params):  # the user's own model function, left uncompiled
        return keras.Sequential([keras.Input((64,)), keras.layers.Dense(params["units"], activation="relu"),
                                 keras.layers.Dense(10, activation="softmax")])

    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    own = kh.tune(build, {"units": [8, 16], "epochs": 4, "learning_rate": 0.01}, data=(x, y), method="grid",
                  metric="val_accuracy", fit_kwargs={"callbacks": [stop], "class_weight": {i: 1.0 for i in range(10)}},
                  seed=0, progress=False)
    ready = kh.tune(kh.keras.mlp(64, 10), kh.keras.mlp_space(max_layers=2, epochs=2), data=(x, y), method="random",
                    max_trials=1, metric="val_accuracy", seed=0, progress=False)
    model = ready.best_model()
    streamed = None
    if importlib.util.find_spec("tensorflow") is not None:  # Keras reads tf.data under every backend
        import tensorflow as tf
        train_ds = tf.data.Dataset.from_tensor_slices((x[:240], y[:240])).batch(32)
        val_ds = tf.data.Dataset.from_tensor_slices((x[240:], y[240:])).batch(32)
        streamed = kh.tune(build, {"units": [8], "epochs": 1}, data=(train_ds, val_ds), method="grid",
                           progress=False).records[0].state.name
    print(json.dumps({
        "backend": keras.backend.backend(),
        "states": [t.state.name for t in own.records + ready.records],
        "epochs_trained": [t.metrics["epochs_trained"] for t in own.records],
        "best": [own.best_value, ready.best_value],
        "prediction_shape": list(model.predict(x[:3], verbose=0).shape),
        "tf_data": streamed,
    }))
""")


@pytest.mark.slow
@pytest.mark.parametrize("backend, module", [("jax", "jax"), ("torch", "torch")])
def test_the_adapter_runs_under_another_backend(backend, module, tmp_path):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"the {backend} backend is not installed (pip install {'jax[cpu]' if backend == 'jax' else backend})")
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3", "TQDM_DISABLE": "1"}
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["backend"] == backend
    assert out["states"] == ["COMPLETE"] * 3
    assert out["epochs_trained"] == [2, 2]  # EarlyStopping works the same
    assert all(0 < v <= 1 for v in out["best"]) and out["prediction_shape"] == [3, 10]
    assert out["tf_data"] == ("COMPLETE" if importlib.util.find_spec("tensorflow") else None)
