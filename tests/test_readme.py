"""The README's commands and first example stay true."""

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _python_blocks():
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README, flags=re.S).group(1).splitlines()
    assert first_block[0].startswith('pip install -e ".[dev]" && keras-hpo demo')
    assert first_block[1].startswith('pip install -e ".[dev]" && python3 -m pytest')


def test_ci_runs_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text()
    assert "python3 -m pytest" in ci and "README.md" in ci


def test_first_tune_in_five_lines_runs(capsys):
    block = next(b for b in _python_blocks() if "def objective" in b and "kh.tune(" in b and "data=" not in b)
    namespace = {}
    exec(compile(block.replace("seed=0)", "seed=0, progress=False)"), "README", "exec"), namespace)
    result = namespace["result"]
    assert len(result.records) == 30 and result.best_params["kind"] == "a"
    assert "{" in capsys.readouterr().out


def test_space_example_is_valid():
    block = next(b for b in _python_blocks() if b.lstrip().startswith("space = kh.Space("))
    import keras_hpo as kh

    namespace = {"kh": kh}
    exec(block, namespace)
    assert namespace["space"]["batch_size"].values() == [16, 44, 72, 100]


def test_every_plain_python_example_runs(tmp_path, monkeypatch):
    """Run the README's examples in order, as one session, with small budgets.

    Examples that train Keras models, start worker processes or name a user's own
    class are covered by tests of their own (tests/keras, test_distributed, the notebooks).
    """
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    skip = re.compile(r"kh\.keras|import keras\b(?!_)|data=\(x|n_jobs=|distributed|MySearcher")
    namespace: dict = {}
    ran = 0
    for block in _python_blocks():
        if skip.search(block):
            continue
        block = re.sub(r"max_trials=(\d+)", lambda m: f"max_trials={min(int(m.group(1)), 15)}", block)
        exec(compile(block, "README", "exec"), namespace)
        ran += 1
    assert ran >= 5


def test_course_check_block_prints_its_hint(capsys):
    block = next(b for b in _python_blocks() if "course.check_answer" in b)
    exec(compile(block, "README", "exec"), {})
    assert capsys.readouterr().out.startswith("❌ Todavía no: la respuesta está vacía o es muy corta (0 palabras")


def test_auto_starts_polishing_where_the_readme_says():
    """From trial 2 d + 3, or two trials after bayes's Sobol design when that ends later."""
    import keras_hpo as kh
    from keras_hpo.testing.objectives import MIXED

    assert "so trial 7 in the\nexample below and 12 on a space of 3 numbers and 2 three-way choices" in README
    example = {"x": kh.Float(-5, 5), "y": kh.Float(-5, 5), "kind": ["a", "b"]}
    mixed = MIXED.space
    assert sum(isinstance(mixed[n], kh.Choice) and len(mixed[n].values()) == 3 for n in mixed) == 2
    for space, objective, start in [(example, lambda p: p["x"] ** 2 + p["y"] ** 2, 7), (mixed, MIXED, 12)]:
        history = kh.tune(objective, space, max_trials=start + 1, seed=0, progress=False).method_history
        assert [(h["method"], h["at_trial"]) for h in history] == [("bayes", 0), ("bayes+polish", start)]
