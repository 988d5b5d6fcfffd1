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
