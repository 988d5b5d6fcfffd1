"""Build the course notebooks from their sources in ``notebooks/_src/`` (run: ``python3 notebooks/_build.py``).

The sources are Python files in the "percent" format: a line ``# %%`` starts a
code cell, ``# %% [markdown]`` a text cell (its lines start with ``# ``). Tags
after ``# %%`` choose where a cell goes:

- ``en`` / ``es``: only in the English / Spanish version of an assignment;
- ``todo``: only in the unsolved assignment (the student's starting point);
- ``solution``: only in the solution;
- ``check``: a self-check cell (tagged ``check`` in the notebook, for the tests).

In assignment sources ``__LANG__`` becomes ``"en"`` or ``"es"``. Tutorials
(``_src/NN_*.py``) are English only. The output is deterministic (fixed cell
ids, no outputs), so ``python3 notebooks/_build.py --check`` can tell whether
the committed notebooks match their sources.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SRC = HERE / "_src"
TAGS = {"en", "es", "todo", "solution", "check"}


def parse(path: Path) -> list[dict]:
    """The cells of a percent-format source: kind, tags and text."""
    cells: list[dict] = []
    for line in path.read_text().splitlines():
        if line.startswith("# %%"):
            words = line[4:].split()
            kind = "markdown" if "[markdown]" in words else "code"
            tags = {w for w in words if w != "[markdown]"}
            unknown = tags - TAGS
            if unknown:
                raise ValueError(f"{path.name}: unknown cell tags {sorted(unknown)} in {line!r}")
            cells.append({"kind": kind, "tags": tags, "lines": []})
        elif cells:
            cells[-1]["lines"].append(line)
    for cell in cells:
        lines = cell["lines"]
        if cell["kind"] == "markdown":
            lines = [ln[2:] if ln.startswith("# ") else ln.lstrip("#") for ln in lines]
        cell["text"] = "\n".join(lines).strip("\n")
    return cells


def notebook(cells: list[dict], stem: str, *, lang: str | None = None, solved: bool = False) -> nbformat.NotebookNode:
    """One notebook out of the parsed cells for a language and solved/unsolved."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                   "language_info": {"name": "python"}}
    for cell in cells:
        tags = cell["tags"]
        if lang is not None and ({"en", "es"} & tags) and lang not in tags:
            continue
        if ("todo" in tags and solved) or ("solution" in tags and not solved):
            continue
        text = cell["text"].replace("__LANG__", f'"{lang}"') if lang else cell["text"]
        new = nbformat.v4.new_markdown_cell(text) if cell["kind"] == "markdown" else nbformat.v4.new_code_cell(text)
        new.id = f"{stem[:40]}-{len(nb.cells)}"
        marks = sorted(tags & {"todo", "solution", "check"})
        if marks:
            new.metadata["tags"] = marks
        nb.cells.append(new)
    return nb


def targets() -> dict[Path, nbformat.NotebookNode]:
    """Every notebook of the course, by the path it is written to."""
    out = {}
    for src in sorted(SRC.glob("[0-9]*.py")):
        out[HERE / f"{src.stem}.ipynb"] = notebook(parse(src), src.stem)
    for src in sorted((SRC / "assignments").glob("[0-9]*.py")):
        cells = parse(src)
        for lang, folder in (("en", HERE / "assignments"), ("es", HERE / "assignments" / "es")):
            out[folder / f"{src.stem}.ipynb"] = notebook(cells, src.stem, lang=lang)
            out[folder / "solutions" / f"{src.stem}.ipynb"] = notebook(cells, src.stem, lang=lang, solved=True)
    return out


def render(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for path, nb in targets().items():
        text = render(nb)
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if stale:
        print("out of date (run python3 notebooks/_build.py):", *[str(p.relative_to(HERE)) for p in stale], sep="\n  ")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
