"""`keras-hpo demo` runs end to end on the bundled digits, and the Keras modules' docstring examples hold."""

import doctest
import importlib
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

pytestmark = pytest.mark.keras


def test_the_demo_command_tunes_digits_and_prints_the_leaderboard(tmp_path):
    storage = tmp_path / "runs" / "demo.db"
    command = shutil.which("keras-hpo")
    command = [command] if command else [sys.executable, "-m", "keras_hpo.cli"]
    env = {**os.environ, "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([*command, "demo", "--trials", "2", "--storage", str(storage), "--no-progress"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert "study demo-auto: method=auto, 2 trials (2 complete)" in out  # auto is the default
    assert "params_units_0" in out and "params_activation" in out  # the leaderboard
    accuracy = float(out.split("test accuracy of the best model ")[1].split()[0])
    assert 0.0 < accuracy <= 1.0 and "held-out digits" in out
    with sqlite3.connect(storage) as db:
        assert db.execute("select count(*) from sqlite_master").fetchone()[0] > 0
    assert (tmp_path / "runs" / "demo.db.artifacts" / "demo-auto" / "best.json").exists()


@pytest.mark.parametrize("name", ["keras_hpo.keras", "keras_hpo.keras.builder", "keras_hpo.keras.layers",
                                  "keras_hpo.keras.adapter", "keras_hpo.keras.fit_options",
                                  "keras_hpo.keras.datasets"])
def test_docstring_examples(name):
    failures, tried = doctest.testmod(importlib.import_module(name))
    assert tried > 0 and failures == 0


def test_importing_the_keras_package_does_not_load_tensorflow():
    code = "import sys, keras_hpo.keras as k; k.mlp_space(); print('tensorflow' in sys.modules, 'keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]


@pytest.mark.parametrize("method", ["grid", "talos"])
def test_the_demo_gives_enumerating_methods_a_finite_space(method):
    import keras_hpo as kh
    from keras_hpo.demo import demo_space

    space = demo_space(method)
    per_depth = 3 * 3 * 2 * 3 * 2  # units_0, activation, optimizer, learning_rate, batch_size
    assert space.finite and space.cardinality == per_depth * (1 + 2)  # one layer, or two with 2 widths of units_1
    searcher = kh.searchers.get(method)
    searcher.setup(space, "max", 0)
    assert space.contains(searcher.ask(1)[0].params)
    assert not demo_space("random").finite


def test_the_readme_demo_commands_leave_two_studies_and_show_picks_one_with_study(tmp_path, capsys, monkeypatch):
    """README's two demo lines write demo-auto and demo-bayes into runs/demo.db; show then needs --study."""
    from pathlib import Path

    from keras_hpo.cli import main

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "`keras-hpo show runs/demo.db --study demo-bayes`" in readme
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", "1")
    assert main(["demo", "--trials", "1", "--no-progress"]) == 0
    assert main(["demo", "--method", "bayes", "--trials", "1", "--storage", "runs/demo.db", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["show", "runs/demo.db"]) == 2
    assert "holds 2 studies ['demo-auto', 'demo-bayes']" in capsys.readouterr().err
    assert main(["show", "runs/demo.db", "--study", "demo-bayes"]) == 0
    assert "study demo-bayes: method=bayes, 1 trials" in capsys.readouterr().out
