import json
import subprocess
import sys

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
