"""``keras-hpo run module:build --data module:load_data`` tunes a Keras model function, as a user runs it."""

import json
import os
import subprocess

import pytest

pytestmark = pytest.mark.keras

MODULE = '''
import keras
from sklearn.datasets import load_digits

def build(params):
    return keras.Sequential([keras.Input((64,)), keras.layers.Dense(params["units"], activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])

def load_data():
    x, y = load_digits(return_X_y=True)
    return (x[:300] / 16).astype("float32"), y[:300]
'''


@pytest.mark.slow
def test_run_tunes_a_keras_model_function_with_data(tmp_path):
    (tmp_path / "digits_model.py").write_text(MODULE)
    (tmp_path / "space.json").write_text(json.dumps({"units": [8, 16], "epochs": [2]}))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(["keras-hpo", "run", "digits_model:build", "--data", "digits_model:load_data", "--space",
                           "space.json", "--method", "grid", "--metric", "val_accuracy", "--storage", "runs.db",
                           "--study", "digits", "--no-progress"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 trials (2 complete)" in done.stdout and "metric=val_accuracy" in done.stdout
    shown = subprocess.run(["keras-hpo", "show", "runs.db"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "study digits" in shown.stdout


def test_run_without_data_says_so_in_one_line(tmp_path):
    (tmp_path / "digits_model.py").write_text(MODULE)
    (tmp_path / "space.json").write_text(json.dumps({"units": [8], "epochs": [1]}))
    done = subprocess.run(["keras-hpo", "run", "digits_model:build", "--space", "space.json", "--no-progress"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "pass data=(x, y)" in done.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_run_discovers_the_space_of_a_keras_tuner_build_function(tmp_path):
    (tmp_path / "kt_model.py").write_text(MODULE + '''
def build_hp(hp):
    return build({"units": hp.Choice("units", [4, 8])})
''')
    done = subprocess.run(["keras-hpo", "run", "kt_model:build_hp", "--data", "kt_model:load_data", "--method", "grid",
                           "--metric", "val_accuracy", "--no-progress"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 trials (2 complete)" in done.stdout


def test_an_error_after_importing_a_module_that_imports_keras_is_one_line(tmp_path):
    """The user's module starts with `import keras`: TensorFlow's start-up log must not precede the one error line."""
    (tmp_path / "digits_model.py").write_text(MODULE)
    (tmp_path / "space.json").write_text(json.dumps({"units": [8], "epochs": [1]}))
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell has it
    done = subprocess.run(["keras-hpo", "run", "digits_model:biuld", "--data", "digits_model:load_data", "--space",
                           "space.json"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["keras-hpo run: error: target: module 'digits_model' has no attribute 'biuld'"]
