"""Plots of a tuning run (matplotlib, imported only here); each returns the Axes it drew on.

Every plot is also a method of the result (``result.plot_<kind>()``) and a kind of
``keras-hpo plot --kind <kind>``. A plot without enough data to mean anything
writes why on its Axes instead of drawing something misleading.

>>> import keras_hpo as kh
>>> result = kh.tune(lambda p: (p["x"] - 0.2) ** 2 + p["noise"] * 0.01,
...                  {"x": kh.Float(0, 1), "noise": kh.Float(0, 1)}, max_trials=30, seed=0, progress=False)
>>> ax = result.plot_contour("x", "noise")    # the objective over two parameters
>>> ax.get_xlabel(), ax.get_ylabel()
('x', 'noise')
"""

from __future__ import annotations

from .basics import importances, plot_history, plot_importance, plot_parallel
from .contour import plot_contour
from .curves import plot_learning_curves
from .ecdf import plot_ecdf
from .rungs import plot_rungs
from .slices import plot_slice
from .timeline import plot_timeline

__all__ = ["plot_history", "plot_importance", "plot_parallel", "plot_learning_curves", "plot_slice", "plot_contour",
           "plot_timeline", "plot_rungs", "plot_ecdf", "importances", "KINDS"]

#: ``keras-hpo plot --kind NAME`` -> the function that draws it
KINDS = {"history": plot_history, "importance": plot_importance, "parallel": plot_parallel,
         "curves": plot_learning_curves, "slice": plot_slice, "contour": plot_contour, "timeline": plot_timeline,
         "rungs": plot_rungs, "ecdf": plot_ecdf}
