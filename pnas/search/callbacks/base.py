"""Hooks into the search loop, Lightning-style: subclass :class:`SearchCallback` and override what you need.

Everything a search does besides proposing, evaluating, observing and storing is a callback: the run directory's
files (:class:`~pnas.search.callbacks.run_files.RunFiles`), the test and export of the best model
(:class:`~pnas.search.callbacks.best_model.BestModelExport`), the pictures
(:class:`~pnas.search.callbacks.pictures.SearchPictures`), progress bars
(:class:`~pnas.search.callbacks.progress.SearchProgressBar`) and W&B (:class:`~pnas.tracking.WandbSearchLogger`).
"""

from __future__ import annotations

from typing import Any

from pnas.search.evaluation.base import Evaluation
from pnas.search.run.records import CandidateRecord, SearchResult, StepReport
from pnas.search.strategies.base import Proposal

__all__ = ["SearchCallback"]


class SearchCallback:
    """Base class of search callbacks; every hook is a no-op.

    The loop calls the hooks in this order: :meth:`on_search_start` once; then for each step
    :meth:`on_step_start`, per candidate :meth:`on_candidate_trained` (before its result is stored; not for results
    replayed on resume) and :meth:`on_candidate_end` as its result arrives, and :meth:`on_step_end`;
    finally :meth:`on_search_end` once, or :meth:`on_search_error` if the search stops on an error. Each hook gets
    the :class:`~pnas.search.run.records.SearchResult` so far (candidates, steps, best cell, run directory, ...).
    On a resumed search the stored candidates and steps come through the same hooks as they are replayed.
    """

    def on_search_start(self, search: SearchResult) -> None:
        """The search starts; ``search.config`` is what ``config.yaml`` holds."""

    def on_step_start(self, search: SearchResult, proposal: Proposal) -> None:
        """A step starts: ``proposal`` holds the cells about to be evaluated."""

    def on_candidate_trained(self, search: SearchResult, cell: Any, evaluation: Evaluation) -> None:
        """A candidate was evaluated, its result not yet stored: what a hook writes now survives any later crash.

        ``evaluation.weights`` holds its trained weights when the evaluator trains networks.
        """

    def on_candidate_end(self, search: SearchResult, record: CandidateRecord, history: dict[str, Any]) -> None:
        """A candidate's result arrived (already in ``search.candidates``); ``history`` holds its per-epoch curves."""

    def on_step_end(self, search: SearchResult, report: StepReport) -> None:
        """A step ended and was stored (``report`` is ``search.steps[-1]``)."""

    def on_search_end(self, search: SearchResult) -> None:
        """The search ended; hooks earlier in the list may have set ``search.test_value`` and ``search.checkpoint``."""

    def on_search_error(self, search: SearchResult, error: BaseException) -> None:
        """The search stopped on ``error`` (an interruption, too many failures, ...); it is re-raised after."""
