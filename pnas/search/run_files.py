"""The run directory's files as search callbacks: the records (CSV, genotype, result) and the best model's export."""

from __future__ import annotations

import time
from typing import Any

import yaml

from pnas.search.callbacks import SearchCallback
from pnas.search.evaluation import Evaluator
from pnas.search.records import CandidateRecord, RunDirectory, SearchResult, StepReport

__all__ = ["BestModelExport", "RunFiles"]


class RunFiles(SearchCallback):
    """Write ``config.yaml``, ``candidates.csv``, ``steps.csv``, ``best_genotype.json`` and ``result.json``.

    The CSV files are views of the results store: they are rewritten from the stored rows when the search starts,
    then a row is appended for each new candidate and step. ``best_genotype.json`` follows the best cell.

    Args:
        stored_candidates: Candidates already in the store.
        stored_steps: Step reports already in the store.
    """

    def __init__(self, stored_candidates: list[CandidateRecord], stored_steps: list[StepReport]) -> None:
        self.stored_candidates, self.stored_steps = stored_candidates, stored_steps
        self._known = {(record.step, record.cell) for record in stored_candidates}
        self._known_steps = {report.step for report in stored_steps}
        self._best: str | None = None
        self.directory: RunDirectory | None = None

    def on_search_start(self, search: SearchResult) -> None:
        """Rewrite the CSV views from the store and write ``config.yaml``.

        Raises:
            ConfigError: The run directory cannot be written.
        """
        self.directory = RunDirectory(search.run_dir, self.stored_candidates, self.stored_steps)
        self.directory.write_text("config.yaml", yaml.safe_dump(search.config, sort_keys=False))

    def on_candidate_end(self, search: SearchResult, record: CandidateRecord, history: dict[str, Any]) -> None:
        """Append a new candidate's row; rewrite ``best_genotype.json`` when the best cell changed."""
        if (record.step, record.cell) not in self._known:
            self.directory.add_candidate(record)
        best = search.best_cell
        if best is not None and str(best) != self._best:
            self._best = str(best)
            self.directory.write_text("best_genotype.json", best.to_json() + "\n")

    def on_step_end(self, search: SearchResult, report: StepReport) -> None:
        """Append a new step's row."""
        if report.step not in self._known_steps:
            self.directory.add_step(report)

    def on_search_end(self, search: SearchResult) -> None:
        """Write ``result.json``."""
        self.directory.write_json("result.json", search.summary())


class BestModelExport(SearchCallback):
    """When the search ends, test the best cell and save its trained model as ``best.ckpt`` (if the evaluator can).

    Sets ``search.test_acc`` and ``search.checkpoint``; place it before callbacks that report them.

    Args:
        evaluator: The search's evaluator, which kept the best cell's weights.
    """

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator

    def on_search_end(self, search: SearchResult) -> None:
        """Test the best cell and export its model; a checkpoint left by an earlier run is never reported."""
        if search.best_cell is None:
            return
        start = time.perf_counter()
        checkpoint = search.run_dir / "best.ckpt"
        checkpoint.unlink(missing_ok=True)
        search.test_acc = self.evaluator.test(search.best_cell, checkpoint=checkpoint)
        search.checkpoint = checkpoint if checkpoint.is_file() else None
        search.seconds += time.perf_counter() - start
