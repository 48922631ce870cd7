"""Progress bars for a search as a callback: one for the steps, one for the candidates of the current step."""

from __future__ import annotations

from typing import Any

from tqdm.auto import tqdm

from pnas.search.callbacks.base import SearchCallback
from pnas.search.run.records import CandidateRecord, SearchResult, StepReport
from pnas.search.strategies.base import Proposal

__all__ = ["SearchProgressBar"]


class SearchProgressBar(SearchCallback):
    """tqdm bars for steps and candidates, and one line per finished step.

    Args:
        num_steps: Steps the strategy will take (``None``: unknown).
        resumed: Candidates already in the store, announced when the search starts.
    """

    def __init__(self, num_steps: int | None = None, resumed: int = 0) -> None:
        self.num_steps, self.resumed = num_steps, resumed
        self.steps_bar: Any = None
        self.bar: Any = None

    def on_search_start(self, search: SearchResult) -> None:
        """Open the steps bar; say when the search resumes."""
        if self.resumed:
            tqdm.write(f"resuming: {self.resumed} candidates already evaluated in {search.run_dir}")
        self.steps_bar = tqdm(total=self.num_steps, desc="search", unit="step")

    def on_step_start(self, search: SearchResult, proposal: Proposal) -> None:
        """Open the bar of this step's candidates."""
        self.bar = tqdm(total=len(proposal.cells), desc=f"step {proposal.step}", unit="cell", leave=False)

    def on_candidate_end(self, search: SearchResult, record: CandidateRecord, history: dict[str, Any]) -> None:
        """Advance the step's bar; show the best value so far."""
        self.bar.update()
        if search.best_value is not None:
            self.bar.set_postfix(best=f"{search.best_value:.4f}")

    def on_step_end(self, search: SearchResult, report: StepReport) -> None:
        """Close the step's bar and print its line."""
        self.bar.close()
        self.steps_bar.update()
        tqdm.write(report.describe(search.monitor))

    def on_search_end(self, search: SearchResult) -> None:
        """Close the steps bar."""
        self.steps_bar.close()

    def on_search_error(self, search: SearchResult, error: BaseException) -> None:
        """Close the bars."""
        for bar in (self.bar, self.steps_bar):
            if bar is not None:
                bar.close()
