import json
import subprocess
import sys

import pytest

import keras_hpo as kh
from keras_hpo.cli import main


def test_help_lists_the_commands():
    out = subprocess.run(["keras-hpo", "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("demo", "run", "show", "plot", "methods"):
        assert command in out


def test_run_then_show(tmp_path, capsys, monkeypatch):
    module = tmp_path / "my_objective.py"
    module.write_text("def f(params):\n    return (params['x'] - 1) ** 2\n")
    space = tmp_path / "space.json"
    space.write_text(kh.Space({"x": kh.Float(-3, 3)}).to_json())
    db = str(tmp_path / "cli.db")
    monkeypatch.chdir(tmp_path)
    assert main(["run", "my_objective:f", "--space", str(space), "--trials", "6", "--storage", db,
                 "--study", "cli", "--seed", "0", "--no-progress"]) == 0
    assert "6 trials" in capsys.readouterr().out
    csv = tmp_path / "out.csv"
    assert main(["show", db, "--csv", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "study cli" in out and "best value" in out and csv.exists()
    png = tmp_path / "cli.png"
    assert main(["plot", db, "--out", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_run_accepts_a_plain_dict_space(tmp_path, monkeypatch, capsys):
    (tmp_path / "obj2.py").write_text("def g(p):\n    return p['a'] * p['b']\n")
    (tmp_path / "space.json").write_text(json.dumps({"a": [1, 2, 3], "b": [-1, 1]}))
    monkeypatch.chdir(tmp_path)
    assert main(["run", "obj2:g", "--space", "space.json", "--method", "grid", "--no-progress"]) == 0
    assert "6 trials" in capsys.readouterr().out


def test_errors_are_reported_without_a_traceback(tmp_path, capsys):
    assert main(["show", str(tmp_path / "missing.db"), "--study", "nope"]) == 2
    assert "error" in capsys.readouterr().err


def test_methods_lists_the_registry(capsys):
    assert main(["methods"]) == 0
    assert {"grid", "random", "manual"} <= set(capsys.readouterr().out.split())


def test_module_entry_point():
    out = subprocess.run([sys.executable, "-m", "keras_hpo.cli", "methods"], capture_output=True, text=True, check=True)
    assert "random" in out.stdout


def _cli(args, cwd):
    return subprocess.run(["keras-hpo", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_every_cli_error_is_one_line_and_exit_code_2(tmp_path):
    (tmp_path / "plain.py").write_text(
        "def f(p):\n    return p['x']\n"
        "def load():\n    raise OSError('the data server is down')\n"
        "def bad_data():\n    return 'not data'\n"
        "NOT_A_FUNCTION = 3\n")
    (tmp_path / "broken.py").write_text("import not_a_module_anywhere\n")
    (tmp_path / "no_backend.py").write_text(  # what `import keras` raises when no backend is installed
        "raise ModuleNotFoundError(\"No module named 'tensorflow'\", name='tensorflow')\n")
    (tmp_path / "space.json").write_text(json.dumps({"x": [1, 2]}))
    (tmp_path / "bad.json").write_text("{'x': [1, 2]")
    cases = {
        ("run", "plain", "--space", "space.json"): "target must look like module:function",
        ("run", "nowhere:f", "--space", "space.json"): "cannot import 'nowhere'",
        ("run", "broken:f", "--space", "space.json"): "cannot import 'broken': ModuleNotFoundError",
        ("run", "plain:g", "--space", "space.json"): "module 'plain' has no attribute 'g'",
        ("run", "no_backend:f", "--space", "space.json"): "Keras needs a backend: pip install 'keras_hpo[tensorflow]'",
        ("run", "plain:NOT_A_FUNCTION", "--space", "space.json"): "is a int, not a function",
        ("run", "plain:f", "--space", "missing.json"): "--space: cannot read missing.json",
        ("run", "plain:f", "--space", "bad.json"): "--space: bad.json is not valid JSON",
        ("run", "plain:f", "--space", "space.json", "--data", "plain:load"): "--data: plain:load() raised OSError: the data server is down",
        ("run", "plain:f", "--space", "space.json", "--data", "plain:bad_data"): "data must be (x, y)",
        ("run", "plain:f", "--space", "space.json", "--trials", "many"): "argument --trials: invalid int value",
        ("run", "plain:f", "--space", "space.json", "--method", "magic"): "magic",
        ("run",): "the following arguments are required: target",
        ("run", "plain:f"): "space: give the search space",
        ("frobnicate",): "invalid choice: 'frobnicate'",
        ("show", "missing.db"): "no such file",
    }
    for args, message in cases.items():
        done = _cli(list(args), tmp_path)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        lines = [line for line in done.stderr.splitlines() if line.startswith("keras-hpo")]
        assert len(lines) == 1 and message in lines[0], (args, done.stderr)
        assert "Traceback" not in done.stderr, (args, done.stderr)


def test_a_failing_run_is_one_line_too(tmp_path):
    (tmp_path / "fails.py").write_text("def f(p):\n    raise RuntimeError('boom ' + str(p['x']))\n")
    (tmp_path / "space.json").write_text(json.dumps({"x": [1, 2]}))
    done = _cli(["run", "fails:f", "--space", "space.json", "--no-progress"], tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("keras-hpo run: error: all 2 trials failed") and "RuntimeError: boom" in last


def test_plot_kinds_from_the_command_line(tmp_path, capsys):
    db = str(tmp_path / "k.db")
    for method in ("random", "tpe"):
        kh.tune(lambda p: (p["x"] - 1) ** 2 + p["y"], {"x": kh.Float(-3, 3), "y": kh.Float(0, 1)}, method=method,
                max_trials=12, storage=db, study=method, seed=0, progress=False)
    for kind in ("curves", "slice", "contour", "timeline", "rungs", "history"):
        assert main(["plot", db, "--study", "tpe", "--kind", kind]) == 0
        assert (tmp_path / f"k.db.{kind}.png").read_bytes()[:4] == b"\x89PNG"
    import matplotlib.pyplot as plt

    plt.close("all")
    assert main(["plot", db, "--kind", "ecdf", "--out", str(tmp_path / "e.png")]) == 0
    assert "wrote" in capsys.readouterr().out
    legend = [t.get_text() for t in plt.gcf().axes[0].get_legend().get_texts()]
    assert legend == ["random (random), 12 trials", "tpe (tpe), 12 trials"]  # every study of the file, on one axes


def test_a_file_of_two_studies_says_how_to_name_one(tmp_path, capsys):
    db = str(tmp_path / "two.db")
    for study in ("a", "b"):
        kh.tune(lambda p: p["x"], {"x": [1, 2]}, method="grid", storage=db, study=study, progress=False)
    assert main(["show", db]) == 2
    assert "holds 2 studies ['a', 'b']; name one (study=, or --study on the command line)" in capsys.readouterr().err
    assert main(["show", db, "--study", "b"]) == 0


def test_show_top_must_be_positive(tmp_path, capsys):
    """--top 0 printed 'Empty DataFrame' and --top -1 every row but the last."""
    db = str(tmp_path / "t.db")
    kh.tune(lambda p: p["x"], {"x": [1, 2, 3]}, method="grid", storage=db, study="s", progress=False)
    for top in ("0", "-1"):
        with pytest.raises(SystemExit) as done:
            main(["show", db, "--top", top])
        assert done.value.code == 2
        assert f"argument --top: must be a positive integer, got {top}" in capsys.readouterr().err
    assert main(["show", db, "--top", "2"]) == 0


def test_methods_says_which_need_a_package_that_is_missing(capsys, monkeypatch):
    """README: `keras-hpo methods` lists what is installed; it listed tpe and talos without their packages too."""
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "hyperopt" else find_spec(name, *a))
    assert main(["methods"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "tpe  (not installed: pip install hyperopt)" in lines and "random" in lines and "talos" in lines
