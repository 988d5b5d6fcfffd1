"""Artifacts stay in their folder: a tampered best.json is never followed, models load with safe_mode=True."""

import json
import os
import shutil

import pytest

import keras_hpo as kh

pytestmark = pytest.mark.keras
keras = pytest.importorskip("keras")

FAST = {"epochs": 1, "batch_size": 64}


def _tiny(params):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(params.get("units", 4), activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _run(storage, digits, **options):
    return kh.tune(_tiny, {**FAST, "units": [4, 6, 8]}, data=digits, storage=storage, study="s", seed=0,
                   progress=False, **{"max_trials": 1, **options})


def _tamper(storage, **changes):
    path = f"{storage}.artifacts/s/best.json"
    with open(path) as handle:
        best = json.load(handle)
    best.update(changes)
    with open(path, "w") as handle:
        json.dump(best, handle)
    return best


def test_a_tampered_best_json_never_deletes_a_file_outside(tmp_path, digits):
    storage = str(tmp_path / "runs" / "x.db")
    _run(storage, digits)
    victim = tmp_path / "precious.txt"
    victim.write_text("the user's own file")
    _tamper(storage, file=str(victim), value=1e9)  # any new trial is now "better", so the old file gets removed
    _run(storage, digits, max_trials=2, resume=True)
    assert victim.read_text() == "the user's own file"
    best = json.loads(open(f"{storage}.artifacts/s/best.json").read())
    assert not os.path.isabs(best["file"])  # the new best is a plain name in the folder again


def test_best_model_refuses_a_weights_file_outside_the_folder(tmp_path, digits):
    storage = str(tmp_path / "x.db")
    result = _run(storage, digits)
    outside = tmp_path / "elsewhere" / "evil.weights.h5"
    outside.parent.mkdir()
    best = json.loads(open(f"{storage}.artifacts/s/best.json").read())
    shutil.copy(f"{storage}.artifacts/s/{best['file']}", outside)
    _tamper(storage, file=str(outside))
    with pytest.raises(kh.UnsafePath, match="best.json"):
        result.best_model()
    _tamper(storage, file="../../elsewhere/evil.weights.h5")
    with pytest.raises(kh.UnsafePath, match="outside"):
        result.best_model()


def test_kept_models_are_loaded_with_safe_mode(tmp_path, digits, monkeypatch):
    def talos(x, y, xv, yv, params):
        model = _tiny(params)
        return model.fit(x, y, validation_data=(xv, yv), epochs=1, verbose=0), model

    x, y = digits
    result = kh.tune(talos, {"units": [4]}, data=(x[:200], y[:200], x[200:], y[200:]), storage=str(tmp_path / "t.db"),
                     study="s", seed=0, progress=False)
    seen = {}
    real = keras.saving.load_model

    def spy(path, *args, **kwargs):
        seen.update(kwargs)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", spy)
    result.best_model()
    assert seen.get("safe_mode") is True
