"""Study names and the files kept beside a store: every path stays inside its folder.

A study name becomes a folder name (``<storage>.artifacts/<study>``), so it is
checked like one: letters, digits and ``-_.``, no leading dot, no separator. A
file name read back from a file we wrote (``best.json`` names the best weights)
is trusted no more than user input: ``inside(folder, name)`` resolves it and
refuses anything that lands outside ``folder`` (``..``, an absolute path, a
symbolic link that leads out).

>>> check_study_name("mlp-v1.2")
'mlp-v1.2'
>>> inside("/runs/x.db.artifacts/s", "best-seed-1.weights.h5")
'/runs/x.db.artifacts/s/best-seed-1.weights.h5'
"""

from __future__ import annotations

import os
import re

from .errors import UnsafePath

__all__ = ["check_study_name", "inside", "artifacts_dir"]

_NAME = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_.\-]{0,127}")


def check_study_name(name: object) -> str:
    """``name`` if it is a plain study name, else a ``ValueError`` that says what is allowed."""
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"study must be a plain name (letters, digits and -_. , at most 128, not starting with a dot), "
                         f"got {name!r}")
    return name


def inside(folder: str | os.PathLike, name: str | os.PathLike) -> str:
    """The path of ``name`` in ``folder``; ``UnsafePath`` if it resolves anywhere else (symbolic links followed)."""
    root = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(root, name))
    if os.path.commonpath([root, path]) != root or path == root:
        raise UnsafePath(f"refusing the path {os.fspath(name)!r}: it leads outside {os.fspath(folder)}")
    return os.path.join(os.path.abspath(folder), os.fspath(name))


def artifacts_dir(storage: str | os.PathLike, study: str) -> str:
    """Where a study's weights go: ``<storage>.artifacts/<study>``, checked to stay in ``<storage>.artifacts``."""
    root = f"{os.fspath(storage)}.artifacts"
    inside(root, check_study_name(study))
    return os.path.join(root, study)
