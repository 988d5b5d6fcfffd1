"""The shared shape of grid and manual search: a list of points fixed at setup, handed out in order."""

from __future__ import annotations

from typing import Any

from ..errors import SearchExhausted
from ..trial import Suggestion
from .base import Searcher


class ListedSearch(Searcher):
    """Runs the points that ``_make_points`` lists, in order, and ends after the last one."""

    finite_by_itself = True
    #: what ``SearchExhausted`` says once the list is done
    done_message = "every listed point has been suggested"

    def _make_points(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _validate(self) -> None:
        self._points = self._make_points()
        self._cursor = 0

    @property
    def exhausted(self) -> bool:
        return self._cursor >= len(self._points)

    @property
    def planned(self) -> int:
        return len(self._points)

    def _suggest(self, n: int) -> list[Suggestion]:
        if self.exhausted:
            raise SearchExhausted(self.done_message)
        batch = self._points[self._cursor : self._cursor + n]
        self._cursor += len(batch)
        return [Suggestion(dict(p)) for p in batch]

    def state_dict(self) -> dict[str, Any]:
        return {**super().state_dict(), "cursor": self._cursor}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self._cursor = state["cursor"]
