"""The README's Keras quick start runs as written (with a smaller budget), and a stored study's model comes back."""

import re
from pathlib import Path

import pytest

import keras_hpo as kh

pytestmark = pytest.mark.keras

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_keras_quick_start_runs(monkeypatch):
    monkeypatch.setenv("TQDM_DISABLE", "1")
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, flags=re.S) if "def build(params)" in b)
    block = block.replace("max_trials=20", "max_trials=2").replace('"epochs": 10', '"epochs": 1')
    namespace: dict = {}
    exec(compile(block, "README", "exec"), namespace)
    result, model = namespace["result"], namespace["model"]
    assert len(result.records) == 2 and 0 < result.best_value <= 1
    assert model.predict(namespace["x"][:3], verbose=0).shape == (3, 10)


def test_a_stored_study_gives_its_model_back_without_rerunning(tmp_path, small):
    db = str(tmp_path / "run.db")
    space = {"units": [4, 8], "epochs": 2, "learning_rate": 0.01}
    first = kh.tune(kh.keras.mlp(6, 2), space, data=small, method="grid", storage=db, study="s", seed=0, progress=False)
    with pytest.raises(ValueError, match="loaded from storage without its model function"):
        kh.load(db, "s").best_model()
    calls = []
    again = kh.tune(kh.keras.mlp(6, 2), space, data=small, method="grid", storage=db, study="s", resume=True,
                    max_trials=2, progress=False, callbacks=[lambda r, t: calls.append(t)])
    assert calls == [] and again.best_trial == first.best_trial
    x = small[0][:4]
    assert (again.best_model().predict(x, verbose=0) == first.best_model().predict(x, verbose=0)).all()


def test_best_arm_section_runs_with_no_arithmetic(monkeypatch):
    """The one-line Hyperband call and the equal-epochs ASHA call, on fewer samples and a 3-epoch space."""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    section = README[README.index("## Best-arm identification"):README.index("## Pruning")]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 2 and 'method="hyperband"' in blocks[0] and "max_trials" not in blocks[0]
    code = "\n".join(blocks).replace("epochs=27", "epochs=3").replace("data=(x / 16.0, y)", "data=(x[:300] / 16.0, y[:300])")
    code = code.replace("max_budget_total=357", "max_budget_total=8")
    namespace: dict = {}
    exec(compile(code, "README", "exec"), namespace)
    result, asha = namespace["result"], namespace["asha"]
    assert "epochs" not in result.best_params and result.best_trial.budget in (1.0, 3.0)
    assert max(t.budget for t in result.records) == 3.0 and len(result.records) == result.searcher.planned
    assert namespace["model"].predict(namespace["x"][:2] / 16.0, verbose=0).shape == (2, 10)
    spent = sum(t.metrics["epochs_trained"] - t.metrics["continued_from_epoch"] for t in asha.records)
    assert 8 <= spent < 8 + 3


def test_bring_your_own_fit_options_and_tf_data_block_runs(monkeypatch, tmp_path, capsys):
    pytest.importorskip("tensorflow")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.chdir(tmp_path)
    block = next(b for b in re.findall(r"```python\n(.*?)```", README, flags=re.S)
                 if "fit_kwargs=" in b and "tf.data.Dataset" in b)
    block = block.replace('"epochs": 30', '"epochs": 3').replace('"epochs": 10', '"epochs": 2')
    namespace: dict = {}
    exec(compile(block, "README", "exec"), namespace)
    printed = capsys.readouterr().out
    assert printed.strip().startswith("[") and all(0 < int(n) <= 3 for n in printed.strip()[1:-1].split(","))
    assert sorted(p.name for p in (tmp_path / "runs" / "tensorboard").iterdir()) == ["trial-0000", "trial-0001"]
    result = namespace["result"]  # the tf.data run
    assert [len(t.curve) for t in result.records] == [2, 2] and 0 < result.best_value <= 1
