"""Hooks into the search loop, Lightning-style: subclass :class:`SearchCallback` and override what you need."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pnas.search.records import CandidateRecord, StepReport

if TYPE_CHECKING:
    from pnas.search.loop import SearchResult

__all__ = ["SearchCallback"]


class SearchCallback:
    """Base class of search callbacks; every hook is a no-op.

    The loop calls the hooks in this order: :meth:`on_search_start` once, then for each step
    :meth:`on_candidate_end` per candidate and :meth:`on_step_end`, and :meth:`on_search_end` once, or
    :meth:`on_search_error` if the search stops on an error.
    """

    def on_search_start(self, run_dir: Path, config: dict[str, Any]) -> None:
        """The search starts; ``config`` is what ``config.yaml`` holds."""

    def on_candidate_end(self, record: CandidateRecord, history: dict[str, list[float]]) -> None:
        """A candidate was evaluated; ``history`` holds its per-epoch curves (may be empty)."""

    def on_step_end(self, report: StepReport, records: list[CandidateRecord], pictures: dict[str, Path]) -> None:
        """A step ended; ``records`` are all candidates so far, ``pictures`` the run dir's up-to-date plots."""

    def on_search_end(self, result: SearchResult) -> None:
        """The search ended (``result`` holds the best cell, its test accuracy and the file paths)."""

    def on_search_error(self, error: BaseException) -> None:
        """The search stopped on ``error`` (an interruption, too many failures, ...); it is re-raised after."""
