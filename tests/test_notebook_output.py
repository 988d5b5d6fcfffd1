"""In Jupyter the progress bar is a widget, no TqdmWarning is printed, and earlier cells keep their output."""

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipywidgets")

CELLS = [
    "import keras_hpo as kh\nprint('first cell output')",
    "result = kh.tune(lambda p: (p['x'] - 1) ** 2, {'x': kh.Float(-3, 3)}, max_trials=5, seed=0)\nprint('tuned', len(result.records))",
    "again = kh.tune(lambda p: (p['x'] - 1) ** 2, {'x': kh.Float(-3, 3)}, max_trials=3, seed=1)\nprint('tuned again')",
]


@pytest.mark.slow
def test_a_notebook_run_shows_a_widget_bar_and_no_tqdm_warning(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell["outputs"] for cell in notebook.cells]
    text = "".join(o.get("text", "") for cell in outputs for o in cell)
    assert "TqdmWarning" not in text and "IProgress" not in text
    assert not [o for cell in outputs for o in cell if o["output_type"] == "error"]
    widgets = [o for o in outputs[1] if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, outputs[1]  # the bar is an ipywidgets progress bar, not text
    assert "first cell output" in "".join(o.get("text", "") for o in outputs[0])  # never cleared by later cells
    assert "tuned 5" in "".join(o.get("text", "") for o in outputs[1])


@pytest.mark.slow
def test_without_ipywidgets_the_bar_falls_back_to_text_without_a_warning(tmp_path):
    cells = ["import sys\nsys.modules['ipywidgets'] = None  # as if the notebook extra were not installed", *CELLS]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in notebook.cells for o in cell["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "TqdmWarning" not in text and "IProgress" not in text
    assert "trials: 100%" in text  # the text bar, on stderr
