"""What a user sees: the demo and a parallel script print our bar and results, no TensorFlow or Keras log lines."""

import os
import re
import subprocess
import sys
import textwrap

import pytest

pytestmark = [pytest.mark.keras, pytest.mark.slow]

#: a TensorFlow/Abseil log line (I/W/E/F + date), its notices, or a Keras/TF warning
FOREIGN = re.compile(r"^[IWEF]\d{4} |absl|oneDNN|tensorflow|TensorFlow|cpu_feature_guard|Warning|optimizer", re.M)


def _env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}  # as a user's shell has it
    env["TF_NUM_INTRAOP_THREADS"] = "1"
    return env


def _lines(stderr):
    """stderr split at newlines and at the progress bar's carriage returns."""
    return [line for line in re.split(r"[\r\n]", stderr) if line.strip()]


def test_the_demo_prints_no_tensorflow_log_line(tmp_path):
    done = subprocess.run(["keras-hpo", "demo", "--trials", "2", "--storage", str(tmp_path / "demo.db")],
                          capture_output=True, text=True, timeout=600, env=_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "test accuracy of the best model" in done.stdout
    foreign = [line for line in _lines(done.stderr) if FOREIGN.search(line)]
    assert foreign == []
    assert all(line.startswith("trials:") for line in _lines(done.stderr))  # only the progress bar


def test_a_script_with_two_workers_prints_only_the_bar_and_its_results(tmp_path):
    script = tmp_path / "tune_digits.py"
    script.write_text(textwrap.dedent("""
        import keras  # imported at the top, as scripts do: every spawned worker imports it again
        from sklearn.datasets import load_digits

        import keras_hpo as kh

        x, y = load_digits(return_X_y=True)
        x, y = (x[:300] / 16.0).astype("float32"), y[:300]

        if __name__ == "__main__":
            space = {"units": [8, 16], "epochs": 2, "batch_size": 64}
            result = kh.tune(kh.keras.mlp(64, 10), space, data=(x, y), metric="val_accuracy", max_trials=2,
                             n_jobs=2, seed=0)
            print(result.best_value > 0, keras.__version__ != "")
    """))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600,
                          env=_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True True"
    lines = _lines(done.stderr)
    # the script's own `import keras` runs before keras_hpo is involved; what follows is ours alone
    ours = lines[next((i for i, line in enumerate(lines) if line.startswith("trials:")), len(lines)):]
    assert ours and [line for line in ours if FOREIGN.search(line)] == []
    assert all(line.startswith("trials:") for line in ours)


def test_importing_maxout_prints_no_tensorflow_log_line(tmp_path):
    """README: once `from keras_hpo.keras import Maxout` has run, saved models load; that import loads Keras,
    and it used to print TensorFlow's start-up lines (keras_hpo.keras.layers imports keras directly)."""
    done = subprocess.run([sys.executable, "-c", "from keras_hpo.keras import Maxout; print(Maxout.__name__)"],
                          capture_output=True, text=True, timeout=300, env=_env(tmp_path), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Maxout" and done.stderr == ""
