"""A notebook that defines its model function in a cell tunes it on worker processes (executed by nbclient)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    """import keras, keras_hpo as kh
from sklearn.datasets import load_digits
x, y = load_digits(return_X_y=True)
x, y = (x[:300] / 16.0).astype("float32"), y[:300]""",
    """def build(params):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(params["units"], activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model""",
    """space = {"units": [4, 8, 16], "epochs": 2, "batch_size": 64}
parallel = kh.tune(build, space, data=(x, y), metric="val_accuracy", method="grid", n_jobs=2, seed=0, progress=False)
from keras_hpo._pool import POOL
warm = sorted(POOL.idle_pids())
serial = kh.tune(build, space, data=(x, y), metric="val_accuracy", method="grid", n_jobs=1, seed=0, progress=False)""",
    """def objective(params):
    return (params["x"] - 0.3) ** 2
plain = kh.tune(objective, {"x": kh.Float(0, 1)}, max_trials=6, n_jobs=2, seed=0, progress=False)
reused = sorted(POOL.idle_pids()) == warm and len(warm) == 2""",
    """import json
print(json.dumps({"parallel": parallel.best_value, "serial": serial.best_value,
                  "states": [t.state.value for t in parallel.records], "plain": len(plain.completed),
                  "reused": reused, "stopped": kh.shutdown_workers()}))""",
]


@pytest.mark.keras
@pytest.mark.slow
def test_a_notebook_cell_function_tunes_with_two_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs if o.get("output_type") == "stream")
    out = json.loads(text.strip().splitlines()[-1])
    assert out["states"] == ["COMPLETE"] * 3
    assert out["parallel"] == out["serial"]
    assert out["plain"] == 6
    assert out["reused"] and out["stopped"] == 2  # the next cell's run took the warm workers of the first
