"""What a search records: one row per trained candidate, one report per step, and the run directory files."""

from __future__ import annotations

import csv
import json
import math
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from pnas.errors import ConfigError

__all__ = ["CandidateRecord", "RunDirectory", "StepReport"]


@dataclass(frozen=True)
class CandidateRecord:
    """One evaluated candidate: a row of ``candidates.csv``."""

    step: int
    cell: str
    predicted_acc: float | None
    val_acc: float | None
    parameters: int | None
    train_seconds: float
    status: str
    error: str = ""


@dataclass(frozen=True)
class StepReport:
    """The summary of one search step: a row of ``steps.csv``.

    ``spearman`` and ``kendall_tau`` compare the surrogate's predictions for this step's candidates, made before
    they were trained, with their measured accuracies: out-of-sample rank correlation. They are ``None`` when the
    step had no predictions (step 1) or fewer than 3 finished candidates.
    """

    step: int
    children_scored: int
    scoring_seconds: float
    candidates: int
    failed: int
    spearman: float | None
    kendall_tau: float | None
    best_val_acc: float | None
    best_cell: str | None
    step_seconds: float

    def describe(self) -> str:
        """One human-readable line."""
        parts = [f"step {self.step}: trained {self.candidates - self.failed}/{self.candidates}"]
        if self.children_scored:
            parts.append(f"scored {self.children_scored:,} children in {self.scoring_seconds:.2f} s")
        if self.spearman is not None:
            parts.append(f"surrogate spearman {self.spearman:.3f}, kendall tau {self.kendall_tau:.3f}")
        if self.best_val_acc is not None:
            parts.append(f"best val acc so far {self.best_val_acc:.4f}")
        return "; ".join(parts) + f" ({self.step_seconds:.0f} s)"


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return value


class RunDirectory:
    """The files of one search run: CSV rows appended as they happen, other files replaced atomically.

    ``config.yaml``, ``candidates.csv``, ``steps.csv``, ``best_genotype.json`` and ``result.json``. The CSV files
    are views of the results store: they are rewritten from the stored rows when a run (re)starts.

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
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            for name, record, rows in (
                ("candidates.csv", CandidateRecord, candidates or []),
                ("steps.csv", StepReport, steps or []),
            ):
                with open(self.path / name, "w", newline="") as handle:
                    writer = csv.writer(handle)
                    writer.writerow([f.name for f in fields(record)])
                    writer.writerows([_csv_value(value) for value in asdict(row).values()] for row in rows)
        except OSError as error:
            raise ConfigError(f"cannot write to run_dir {self.path}: {error.strerror or error}") from None

    def _append(self, name: str, row: CandidateRecord | StepReport) -> None:
        with open(self.path / name, "a", newline="") as handle:
            csv.writer(handle).writerow([_csv_value(value) for value in asdict(row).values()])

    def add_candidate(self, record: CandidateRecord) -> None:
        """Append a row to ``candidates.csv``."""
        self._append("candidates.csv", record)

    def add_step(self, report: StepReport) -> None:
        """Append a row to ``steps.csv``."""
        self._append("steps.csv", report)

    def write_text(self, name: str, text: str) -> Path:
        """Write ``text`` to a file of the run directory atomically (a crash leaves the old or the new file)."""
        target = self.path / name
        partial = target.with_name(target.name + ".partial")
        partial.write_text(text)
        os.replace(partial, target)
        return target

    def write_json(self, name: str, data: Any) -> Path:
        """Write ``data`` as indented JSON."""
        return self.write_text(name, json.dumps(data, indent=2) + "\n")
