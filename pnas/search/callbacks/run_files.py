"""The run directory's records as a search callback: config, CSV views of the store, best genotype, result."""

from __future__ import annotations

from typing import Any

import yaml

from pnas.files import json_object
from pnas.search.callbacks.base import SearchCallback
from pnas.search.run.layout import BEST_GENOTYPE, CONFIG, RESULT
from pnas.search.run.records import CandidateRecord, RunDirectory, SearchResult, StepReport

__all__ = ["RunFiles"]


class RunFiles(SearchCallback):
    """Write ``config.yaml``, ``candidates.csv``, ``steps.csv``, ``best_genotype.json`` and ``result.json``.

    The CSV files are views of the results store: they are rewritten from the stored rows when the search starts,
    then a row is appended for each new candidate and step. ``best_genotype.json`` follows the best cell once the
    stored results are replayed (so a run cut short while replaying never leaves an earlier, worse cell there).
    A finished search run again rewrites nothing.

    Args:
        stored_candidates: Candidates already in the store.
        stored_steps: Step reports already in the store.
    """

    def __init__(self, stored_candidates: list[CandidateRecord], stored_steps: list[StepReport]) -> None:
        self.stored_candidates, self.stored_steps = stored_candidates, stored_steps
        self._known = {(record.step, record.cell) for record in stored_candidates}
        self._known_steps = {report.step for report in stored_steps}
        self._replaying = True
        self._written: dict[str, str] = {}  # file name -> the text it holds, once read or written
        self.directory: RunDirectory | None = None

    def on_search_start(self, search: SearchResult) -> None:
        """Rewrite the CSV views from the store (when they differ) and write ``config.yaml``.

        Raises:
            ConfigError: The run directory cannot be written.
        """
        self.directory = RunDirectory(search.run_dir, self.stored_candidates, self.stored_steps)
        self._write_if_changed(CONFIG, yaml.safe_dump(search.config, sort_keys=False))

    def on_candidate_end(self, search: SearchResult, record: CandidateRecord, history: dict[str, Any]) -> None:
        """Append a new candidate's row; rewrite ``best_genotype.json`` when the best cell changed."""
        if (record.step, record.cell) not in self._known:
            self._replaying = False
            self.directory.add_candidate(record)
        if not self._replaying:
            self._write_best_genotype(search)

    def on_step_end(self, search: SearchResult, report: StepReport) -> None:
        """Append a new step's row."""
        if report.step not in self._known_steps:
            self.directory.add_step(report)

    def on_search_end(self, search: SearchResult) -> None:
        """Write ``best_genotype.json`` and ``result.json``, unless they already say the same."""
        self._write_best_genotype(search)
        summary = search.summary()
        previous = json_object(self.directory.read_text(RESULT))
        if search.added or {**previous, "seconds": None} != {**summary, "seconds": None}:
            self.directory.write_json(RESULT, summary)

    def _write_best_genotype(self, search: SearchResult) -> None:
        if search.best_cell is not None:
            self._write_if_changed(BEST_GENOTYPE, search.best_cell.to_json() + "\n")

    def _write_if_changed(self, name: str, text: str) -> None:
        """Write ``name`` unless it holds ``text``; the file is read once, then what was written is remembered."""
        known = self._written.get(name)
        if known is None:
            known = self.directory.read_text(name)
        if known != text:
            self.directory.write_text(name, text)
        self._written[name] = text
