"""What a search records: one row per trained candidate, one report per step, the search so far, the run files."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from pnas.errors import ConfigError
from pnas.files import read_text_or_none, write_text_atomically
from pnas.search.run.layout import CANDIDATES, STEPS

__all__ = ["CandidateRecord", "RunDirectory", "SearchResult", "StepReport"]

T = TypeVar("T")


@dataclass(frozen=True)
class CandidateRecord:
    """One evaluated candidate: a row of ``candidates.csv``."""

    step: int
    cell: str
    predicted_value: float | None
    value: float | None
    parameters: int | None
    train_seconds: float
    status: str
    error: str = ""

    @property
    def val_acc(self) -> float | None:
        """Deprecated name of :attr:`value`, for this release."""
        return self.value

    @property
    def predicted_acc(self) -> float | None:
        """Deprecated name of :attr:`predicted_value`, for this release."""
        return self.predicted_value


@dataclass(frozen=True)
class StepReport:
    """The summary of one search step: a row of ``steps.csv``.

    ``spearman`` and ``kendall_tau`` compare the surrogate's predictions for this step's candidates, made before
    they were trained, with their measured accuracies: out-of-sample rank correlation. They are ``None`` when the
    step had no predictions (step 1) or fewer than 3 finished candidates. ``excluded`` counts the cells the step
    left out because a cost known before training (parameters, multiply-adds) was over a limit.
    """

    step: int
    children_scored: int
    scoring_seconds: float
    candidates: int
    failed: int
    spearman: float | None
    kendall_tau: float | None
    best_value: float | None
    best_cell: str | None
    step_seconds: float
    excluded: int = 0

    @property
    def best_val_acc(self) -> float | None:
        """Deprecated name of :attr:`best_value`, for this release."""
        return self.best_value

    def describe(self, monitor: str = "val/acc") -> str:
        """One human-readable line; ``monitor`` names the metric of ``best_value``."""
        parts = [f"step {self.step}: trained {self.candidates - self.failed}/{self.candidates}"]
        if self.children_scored:
            parts.append(f"scored {self.children_scored:,} children in {self.scoring_seconds:.2f} s")
        if self.excluded:
            parts.append(f"{self.excluded:,} over a limit left out")
        if self.spearman is not None:
            parts.append(f"surrogate spearman {self.spearman:.3f}, kendall tau {self.kendall_tau:.3f}")
        if self.best_value is not None:
            parts.append(f"best {monitor} so far {self.best_value:.4f}")
        return "; ".join(parts) + f" ({self.step_seconds:.0f} s)"


@dataclass
class SearchResult:
    """A search as it goes, and its outcome when it ends; every :class:`~pnas.search.SearchCallback` hook gets it.

    Attributes:
        best_cell: The search's answer: of the cells with the most blocks (those of a progressive search's last
            step), the one with the best monitored metric; ``None`` if nothing finished. Cells of spaces without
            blocks all compete.
        best_value: Its monitored metric (validation accuracy unless ``monitor`` says otherwise).
        best_overall_cell: The cell with the best monitored metric of any step (it may have fewer blocks).
        best_overall_value: Its monitored metric.
        test_value: Its test counterpart, when the evaluator could measure it (set when the search ends).
        candidates: Every evaluated candidate, in the order the results arrived.
        steps: One report per finished step.
        run_dir: Where the records are written.
        checkpoint: The best cell's trained model, when the evaluator saved one (set when the search ends).
        seconds: Wall-clock duration of the search (set when the search ends).
        config: The settings stored as ``config.yaml``.
        monitor: The metric that ranks candidates.
        mode: ``"max"`` or ``"min"``: whether a higher or a lower ``monitor`` is better.
        pictures: Picture name -> file, as callbacks draw them (``search_progress``, ``best_cell``, ...).
        added: Candidates and steps this run added to the store; 0 when a finished search is run again (its
            files are then left as they are).
        front: In Pareto mode, the front of the trained candidates (best metric first), as in ``pareto.json``;
            ``None`` otherwise.
        pareto_points: In Pareto mode, every trained candidate as ``{"cell", <monitor>, <cost>, "on_front"}``.
        hypervolume: In Pareto mode, the front's normalised hypervolume after the last step.
    """

    best_cell: Any | None
    best_value: float | None
    test_value: float | None
    candidates: list[CandidateRecord] = field(default_factory=list)
    steps: list[StepReport] = field(default_factory=list)
    run_dir: Path | None = None
    checkpoint: Path | None = None
    seconds: float = 0.0
    config: dict[str, Any] = field(default_factory=dict)
    monitor: str = "val/acc"
    mode: str = "max"
    pictures: dict[str, Path] = field(default_factory=dict)
    added: int = 0
    best_overall_cell: Any | None = None
    best_overall_value: float | None = None
    front: list[dict[str, Any]] | None = None
    pareto_points: list[dict[str, Any]] = field(default_factory=list)
    hypervolume: float | None = None

    @property
    def best_val_acc(self) -> float | None:
        """Deprecated name of :attr:`best_value`, for this release."""
        return self.best_value

    @property
    def best_overall_val_acc(self) -> float | None:
        """Deprecated name of :attr:`best_overall_value`, for this release."""
        return self.best_overall_value

    @property
    def test_acc(self) -> float | None:
        """Deprecated name of :attr:`test_value`, for this release."""
        return self.test_value

    def summary(self) -> dict[str, Any]:
        """The JSON-ready outcome written to ``result.json``."""
        return {
            "best_cell": str(self.best_cell) if self.best_cell is not None else None,
            "monitor": self.monitor,
            "mode": self.mode,
            "best_value": self.best_value,
            "test_value": self.test_value,
            "best_overall_cell": str(self.best_overall_cell) if self.best_overall_cell is not None else None,
            "best_overall_value": self.best_overall_value,
            "candidates": len(self.candidates),
            "failed": sum(record.status == "failed" for record in self.candidates),
            "pruned": sum(record.status == "pruned" for record in self.candidates),
            "seconds": round(self.seconds, 1),
            **({"front": self.front} if self.front is not None else {}),
        }


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return value


class RunDirectory:
    """The files of one search run: CSV rows appended as they happen, other files replaced atomically.

    ``config.yaml``, ``candidates.csv``, ``steps.csv``, ``best_genotype.json`` and ``result.json``. The CSV files
    are views of the results store: they are rewritten from the stored rows when a run (re)starts, atomically and
    only when they differ. A ``candidates.csv`` with rows the store lacks (its write-ahead log was lost) is kept
    beside the new one as ``candidates.<time>.csv``, and stderr says so.

    Args:
        path: The run directory; created if missing.
        candidates: Rows already stored, written to ``candidates.csv`` first.
        steps: Step reports already stored, written to ``steps.csv`` first.

    Raises:
        ConfigError: The directory cannot be created or written.
    """

    def __init__(
        self, path: str | Path, candidates: list[CandidateRecord] | None = None, steps: list[StepReport] | None = None
    ) -> None:
        self.path = Path(path)
        self._guarded(lambda: self.path.mkdir(parents=True, exist_ok=True))
        stored = candidates or []
        self._keep_rows_missing_from_store({(str(record.step), record.cell) for record in stored})
        self._rewrite(CANDIDATES, CandidateRecord, stored)
        self._rewrite(STEPS, StepReport, steps or [])

    def _guarded(self, write: Callable[[], T]) -> T:
        try:
            return write()
        except OSError as error:
            raise ConfigError(
                f"cannot write to run_dir {self.path} ({error.strerror or error}); the results so far are in its "
                "search.sqlite: make the disk writable (or free space) and run the same command again to resume"
            ) from None

    def _rewrite(self, name: str, record: type, rows: list[Any]) -> None:
        """Write ``name`` as the header and ``rows``, unless it already holds exactly that."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([f.name for f in fields(record)])
        writer.writerows([_csv_value(value) for value in asdict(row).values()] for row in rows)
        text = buffer.getvalue()
        if read_text_or_none(self.path / name) != text:
            self.write_text(name, text)

    def _keep_rows_missing_from_store(self, stored: set[tuple[str, str]]) -> None:
        """Move an existing ``candidates.csv`` aside when it has rows the store does not (they would be lost).

        A file that cannot be read or parsed is moved aside whole. The new name is never one already taken.
        """
        existing = self.path / CANDIDATES
        if not existing.exists():
            return
        text = read_text_or_none(existing)
        try:
            rows = list(csv.DictReader(io.StringIO(text))) if text is not None else None
        except csv.Error:
            rows = None
        lost = 0 if rows is None else sum((row.get("step"), row.get("cell")) not in stored for row in rows)
        if rows is not None and not lost:
            return
        stamp, number = time.strftime("%Y%m%d-%H%M%S"), 0
        while (kept := self.path / f"candidates.{stamp}{f'-{number}' if number else ''}.csv").exists():
            number += 1
        self._guarded(lambda: os.replace(existing, kept))
        listed = "could not be read" if rows is None else f"listed {lost} candidate(s) that the store does not hold"
        print(f"pnas: {existing} {listed} (they will be trained again); that file is kept as {kept}", file=sys.stderr)

    def _append(self, name: str, row: CandidateRecord | StepReport) -> None:
        def append() -> None:
            with open(self.path / name, "a", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerow([_csv_value(value) for value in asdict(row).values()])

        self._guarded(append)

    def add_candidate(self, record: CandidateRecord) -> None:
        """Append a row to ``candidates.csv``."""
        self._append(CANDIDATES, record)

    def add_step(self, report: StepReport) -> None:
        """Append a row to ``steps.csv``."""
        self._append(STEPS, report)

    def read_text(self, name: str) -> str | None:
        """The text of a file of the run directory; ``None`` if it is missing or unreadable."""
        return read_text_or_none(self.path / name)

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` to a file of the run directory atomically (a crash leaves the old or the new file).

        Raises:
            ConfigError: The file cannot be written (the old one, if any, is left as it was).
        """
        target = self.path / name
        self._guarded(lambda: write_text_atomically(target, text))
        return target

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as indented JSON."""
        return self.write_text(name, json.dumps(data, indent=2) + "\n")
