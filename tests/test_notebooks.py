"""The course in notebooks/ runs: every tutorial and solution top to bottom, and every unsolved assignment
up to its self-checks, which must fail with a hint (not crash).

Notebooks run with KH_COURSE_FAST=1, which shrinks their data and budgets, and MPLBACKEND=Agg.
"""

import importlib.util
import os
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TUTORIALS = sorted(NOTEBOOKS.glob("[0-9]*.ipynb"))
ASSIGNMENTS = sorted(NOTEBOOKS.glob("assignments/[0-9]*.ipynb")) + sorted(NOTEBOOKS.glob("assignments/es/[0-9]*.ipynb"))
SOLUTIONS = sorted(NOTEBOOKS.glob("assignments/solutions/[0-9]*.ipynb")) + sorted(
    NOTEBOOKS.glob("assignments/es/solutions/[0-9]*.ipynb"))
PASS_MARK = "✅"
FAIL_MARK = "❌"
HINT = {"en": "Hint:", "es": "Pista:"}


def _id(path):
    return str(path.relative_to(NOTEBOOKS).with_suffix(""))


def _lang(path):
    return "es" if "/es/" in path.as_posix() else "en"


def _build_module():
    spec = importlib.util.spec_from_file_location("course_build", NOTEBOOKS / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _execute(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("KH_COURSE_FAST", "1")
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", os.environ.get("TF_NUM_INTRAOP_THREADS", "1"))
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for cell in notebook.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, [f"{e['ename']}: {e['evalue']}" for e in errors]
    return notebook


def _check_texts(notebook):
    """The text each self-check cell displayed."""
    texts = []
    for cell in notebook.cells:
        if "check" in cell.metadata.get("tags", []):
            shown = [o["data"]["text/plain"] for o in cell.outputs if "data" in o and "text/plain" in o["data"]]
            shown += [o["text"] for o in cell.outputs if o.get("output_type") == "stream"]
            texts.append("\n".join(shown))
    return texts


def test_the_course_is_complete():
    assert len(TUTORIALS) >= 10
    assert [p.name[:2] for p in TUTORIALS] == [f"{i:02d}" for i in range(1, len(TUTORIALS) + 1)]  # reading order
    assert len(ASSIGNMENTS) >= 8 and len(ASSIGNMENTS) == len(SOLUTIONS)
    english = {p.name for p in NOTEBOOKS.glob("assignments/[0-9]*.ipynb")}
    assert {p.name for p in NOTEBOOKS.glob("assignments/es/[0-9]*.ipynb")} == english
    assert {p.name for p in NOTEBOOKS.glob("assignments/solutions/[0-9]*.ipynb")} == english
    for path in ASSIGNMENTS:
        tags = [t for c in nbformat.read(path, as_version=4).cells for t in c.metadata.get("tags", [])]
        assert "check" in tags and "todo" in tags, path
    spanish = nbformat.read(NOTEBOOKS / "assignments/es" / sorted(english)[0], as_version=4)
    assert "Tarea" in spanish.cells[0].source and 'LANG = "es"' in "".join(c.source for c in spanish.cells)


def test_notebooks_match_their_sources_and_carry_no_outputs():
    assert _build_module().main(["--check"]) == 0, "run python3 notebooks/_build.py"
    for path in TUTORIALS + ASSIGNMENTS + SOLUTIONS:
        notebook = nbformat.read(path, as_version=4)
        assert not any(cell.get("outputs") for cell in notebook.cells), path


@pytest.mark.slow
@pytest.mark.parametrize("path", TUTORIALS, ids=_id)
def test_tutorial_runs(path, tmp_path, monkeypatch):
    pytest.importorskip("keras")
    _execute(path, tmp_path, monkeypatch)


@pytest.mark.slow
@pytest.mark.parametrize("path", SOLUTIONS, ids=_id)
def test_solution_runs_and_passes_its_checks(path, tmp_path, monkeypatch):
    pytest.importorskip("keras")
    texts = _check_texts(_execute(path, tmp_path, monkeypatch))
    assert texts and all(t.startswith(PASS_MARK) for t in texts), texts


@pytest.mark.slow
@pytest.mark.parametrize("path", ASSIGNMENTS, ids=_id)
def test_unsolved_assignment_fails_its_checks_with_hints(path, tmp_path, monkeypatch):
    pytest.importorskip("keras")
    texts = _check_texts(_execute(path, tmp_path, monkeypatch))
    assert texts and all(t.startswith(FAIL_MARK) and HINT[_lang(path)] in t for t in texts), texts
