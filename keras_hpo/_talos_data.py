"""``TalosData``: the trials table as ``talos.Analyze`` expects a scan object (imported only by ``to_talos``)."""

from __future__ import annotations

import pandas as pd

__all__ = ["TalosData"]


class TalosData(pd.DataFrame):
    """A DataFrame that also carries what ``talos.Analyze`` reads off a scan object.

    ``params`` (the parameter names with their values) and ``parameter_columns``
    (parameter name -> column) let ``Analyze(...).best_params(...)`` return the
    parameters only, not ``start``/``end``/``duration`` or metrics.
    """

    _metadata = ["params", "parameter_columns"]

    @property
    def _constructor(self) -> type:
        return TalosData
