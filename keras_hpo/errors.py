"""Exceptions raised by keras_hpo.

Bad user input raises the built-in ``ValueError``/``TypeError`` with the
parameter's name in the message; the classes here are for conditions that are
specific to tuning.
"""

from __future__ import annotations

import re


class KerasHpoError(Exception):
    """Base class of keras_hpo's own exceptions."""


class SearchExhausted(KerasHpoError):
    """Raised by ``Searcher.ask`` when the searcher has nothing left to suggest.

    Grid search raises it after the last grid point; any searcher raises it on
    a finite space once every point has been suggested.
    """


class AllTrialsFailed(KerasHpoError):
    """Raised by ``tune`` when no trial completed; the message shows the first traceback."""


class StudyExists(KerasHpoError, ValueError):
    """The study name is taken in the store and ``resume`` was not asked for."""


class UnsafePath(KerasHpoError, ValueError):
    """A path read from a file (or built from a name) leads outside the folder it must stay in; it is never opened."""


class StoreError(KerasHpoError, ValueError):
    """A storage file cannot be used: not a keras_hpo store, empty, corrupted, tampered, or of a newer version.

    The message names the file and the problem.
    """


class ResumeMismatch(KerasHpoError, ValueError):
    """``resume=True`` with options that differ from the stored study's; the message lists every difference."""


class WorkerError(KerasHpoError, RuntimeError):
    """A worker could not start or could not load the objective; the message holds the worker's own traceback."""


class StudyLocked(KerasHpoError, RuntimeError):
    """Another driver runs this study; the message names its host, pid and start time.

    One process (the driver) runs a study at a time; scale out with ``n_jobs`` or a
    Dask ``executor=`` instead of a second driver.
    """

    def __init__(self, message: str, host: str = "", pid: int = 0, started: float = 0.0) -> None:
        super().__init__(message)
        self.host, self.pid, self.started = host, pid, started


_FRAME = re.compile(r'^\s*File "')
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def error_summary(text: str, limit: int = 300) -> str:
    """A failed trial's error text (a traceback, as stored) as one line: the exception and its first message line.

    The last line of a traceback is not always the message: Keras ends a layer's error with the
    arguments it received (``• kwargs=...``) and TensorFlow with the graph node, so the summary
    takes what follows the last ``File "..."`` frame (its source lines skipped): the exception
    line and the next one, without terminal colours, cut at ``limit`` characters.

    >>> error_summary('Traceback (most recent call last):\\n  File "x.py", line 1, in f\\n    1 / 0\\nZeroDivisionError: division by zero\\n')
    'ZeroDivisionError: division by zero'
    >>> error_summary("trial_timeout: the trial ran past 60 s")
    'trial_timeout: the trial ran past 60 s'
    """
    lines = _ANSI.sub("", text or "").splitlines()
    last = max((i for i, line in enumerate(lines) if _FRAME.match(line)), default=-1)
    rest = lines[last + 1:]
    if last >= 0:  # the frame's own source line and its ^^^ markers are indented
        while rest and rest[0].strip() and rest[0][:1].isspace():
            rest = rest[1:]
    picked = [line.strip() for line in rest if line.strip()][:2]
    if not picked:
        picked = [line.strip() for line in lines if line.strip()][-1:]
    summary = " ".join(picked)
    return summary if len(summary) <= limit else summary[:limit - 3] + "..."
