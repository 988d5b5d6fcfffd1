"""Exceptions raised by keras_hpo.

Bad user input raises the built-in ``ValueError``/``TypeError`` with the
parameter's name in the message; the classes here are for conditions that are
specific to tuning.
"""

from __future__ import annotations


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
