"""The run directory's files as search callbacks: the records (CSV, genotype, result) and the best model's export."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import torch
import yaml

from pnas.files import read_text_or_none
from pnas.search.callbacks.base import SearchCallback
from pnas.search.evaluation.base import Evaluator
from pnas.search.run.records import CandidateRecord, RunDirectory, SearchResult, StepReport

__all__ = ["BestModelExport", "RunFiles"]


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
        self._write_if_changed("config.yaml", yaml.safe_dump(search.config, sort_keys=False))

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
        previous = _read_json(self.directory.read_text("result.json"))
        if search.added or {**previous, "seconds": None} != {**summary, "seconds": None}:
            self.directory.write_json("result.json", summary)

    def _write_best_genotype(self, search: SearchResult) -> None:
        if search.best_cell is not None:
            self._write_if_changed("best_genotype.json", search.best_cell.to_json() + "\n")

    def _write_if_changed(self, name: str, text: str) -> None:
        """Write ``name`` unless it holds ``text``; the file is read once, then what was written is remembered."""
        known = self._written.get(name)
        if known is None:
            known = self.directory.read_text(name)
        if known != text:
            self.directory.write_text(name, text)
        self._written[name] = text


class BestModelExport(SearchCallback):
    """When the search ends, test the best cell and save its trained model as ``best.ckpt`` (if the evaluator can).

    Sets ``search.test_value`` and ``search.checkpoint``; place it before callbacks that report them. ``best.ckpt``
    is only replaced by a complete checkpoint of the best cell. A finished search run again is not tested again:
    its ``best.ckpt`` and the test figure in ``result.json`` stand. When the best cell's weights were lost (a
    missing or damaged ``best_candidate.pt``), a ``best.ckpt`` of that cell is kept, with its test figure.

    Args:
        evaluator: The search's evaluator, which kept the best cell's weights.
    """

    def __init__(self, evaluator: Evaluator) -> None:
        self.evaluator = evaluator

    def on_search_end(self, search: SearchResult) -> None:
        """Test the best cell and export its model; a checkpoint of another cell is never reported."""
        if search.best_cell is None:
            return
        start = time.perf_counter()
        answer, checkpoint = str(search.best_cell), search.run_dir / "best.ckpt"
        previous = _read_json(read_text_or_none(search.run_dir / "result.json"))
        exported = checkpoint.is_file() and _checkpoint_genotype(checkpoint) == answer
        if not search.added and exported and previous.get("best_cell") == answer:
            search.test_value, search.checkpoint = _test_value(previous), checkpoint
            return
        partial = checkpoint.with_name(checkpoint.name + ".partial")
        try:
            partial.unlink(missing_ok=True)
            search.test_value = self.evaluator.test(search.best_cell, checkpoint=partial)
            if partial.is_file():
                os.replace(partial, checkpoint)
                exported = True
        except (OSError, RuntimeError) as error:  # a full or read-only disk (torch says RuntimeError)
            reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
            print(f"pnas: could not write {checkpoint} ({reason}); it was left as it was", file=sys.stderr)
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
        if exported:
            search.checkpoint = checkpoint
            if search.test_value is None and previous.get("best_cell") == answer:
                search.test_value = _test_value(previous)  # the weights were lost, not the model and its figure
        elif checkpoint.is_file():
            print(
                f"pnas: {checkpoint} holds another cell than the answer, {answer}; it was left as it is",
                file=sys.stderr,
            )
        search.seconds += time.perf_counter() - start


def _read_json(text: str | None) -> dict[str, Any]:
    """The object in ``text``; empty when there is none (missing, cut short, not an object)."""
    try:
        value = json.loads(text) if text else {}
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def _checkpoint_genotype(path: Path) -> str | None:
    """The ``genotype`` hyperparameter of a Lightning checkpoint; ``None`` if it has none or cannot be read.

    Loaded with ``weights_only`` (nothing in the file runs) and memory-mapped (the weights are not read).
    """
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        return str(saved["hyper_parameters"]["genotype"])
    except Exception:  # damaged, cut short, not a checkpoint of a cell module, or holding more than plain data
        return None


def _test_value(result: dict[str, Any]) -> float | None:
    """The test figure of a ``result.json``, under its name now or the one earlier releases gave it."""
    return result.get("test_value", result.get("test_acc"))
