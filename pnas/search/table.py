"""Tabular benchmarks: evaluate a cell by looking its accuracy up in a CSV instead of training it."""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from pnas.errors import ConfigError, DataNotFoundError
from pnas.search.evaluation import Evaluation, Evaluator

__all__ = ["BenchmarkTable", "TableEvaluator", "percent_scale"]


class BenchmarkTable:
    """A CSV of architectures (one per row, named in a ``key`` column) and their numeric results.

    Args:
        path: The CSV file.
        key: The column naming each architecture (NAS-Bench-201: ``arch``).

    Raises:
        DataNotFoundError: The file does not exist.
        ConfigError: The file has no ``key`` column, no rows, or repeats an architecture.
    """

    def __init__(self, path: str | Path, key: str = "arch") -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise DataNotFoundError(f"benchmark table {self.path} not found; pass the CSV's path with --table")
        with self.path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            self.columns = [name for name in reader.fieldnames or [] if name != key]
            if key not in (reader.fieldnames or []):
                raise ConfigError(
                    f"{self.path} has no {key!r} column; its columns: {', '.join(reader.fieldnames or [])}"
                )
            self._rows = {row[key].strip(): row for row in reader}
        if not self._rows:
            raise ConfigError(f"{self.path} has no rows")
        self.architectures = list(self._rows)
        self._index = {arch: i for i, arch in enumerate(self.architectures)}
        self._numeric: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.architectures)

    def column(self, name: str) -> np.ndarray:
        """The numeric column ``name``, in row order.

        Raises:
            ConfigError: There is no such column, or it is not numeric.
        """
        if name not in self._numeric:
            if name not in self.columns:
                raise ConfigError(f"{self.path} has no column {name!r}; choose one of {', '.join(self.columns)}")
            try:
                self._numeric[name] = np.array([float(row[name]) for row in self._rows.values()])
            except ValueError:
                raise ConfigError(f"column {name!r} of {self.path} is not numeric") from None
        return self._numeric[name]

    def value(self, architecture: Any, column: str) -> float:
        """The ``column`` entry of ``architecture`` (looked up by ``str(architecture)``).

        Raises:
            KeyError: The architecture is not in the table.
        """
        row = self._index.get(str(architecture).strip())
        if row is None:
            raise KeyError(f"{architecture} is not in {self.path}")
        return float(self.column(column)[row])


class TableEvaluator(Evaluator):
    """Evaluate a cell by table lookup: the search sees the ``signal`` column, :meth:`test` reports ``report``.

    Accuracies in percent (any value above 1 in the column) are divided by 100, so a search sees fractions as it
    does from training.

    Args:
        table: A :class:`BenchmarkTable` or the path of its CSV.
        signal: The column a search optimises (e.g. ``val_acc_12``).
        report: The column reported for the chosen architecture (e.g. ``test_acc_200``).

    Raises:
        ConfigError: A column is missing or not numeric.
    """

    def __init__(self, table: BenchmarkTable | str | Path, signal: str, report: str) -> None:
        self.table = table if isinstance(table, BenchmarkTable) else BenchmarkTable(table)
        self.signal, self.report = signal, report
        self._scale = {name: percent_scale(self.table.column(name)) for name in (signal, report)}
        self.lookups = 0

    def evaluate(self, cell: Any) -> Evaluation:
        """The cell's ``signal`` entry as its accuracy; ``failed`` when the entry is missing (NaN)."""
        start = time.perf_counter()
        self.lookups += 1
        accuracy = self.table.value(cell, self.signal) / self._scale[self.signal]
        if math.isnan(accuracy):
            return Evaluation(None, "failed", seconds=time.perf_counter() - start, error=f"no {self.signal} entry")
        return Evaluation(accuracy, seconds=time.perf_counter() - start)

    @property
    def best_report(self) -> float:
        """The best ``report`` entry of the whole table, as a fraction: what an oracle would report."""
        return float(np.nanmax(self.table.column(self.report))) / self._scale[self.report]

    def test(self, cell: Any, checkpoint: Path | None = None) -> float | None:
        """The cell's ``report`` entry, as a fraction (no checkpoint: nothing was trained)."""
        value = self.table.value(cell, self.report) / self._scale[self.report]
        return None if math.isnan(value) else value


def percent_scale(values: np.ndarray) -> float:
    """100 for a column of percentages (any value above 1), else 1."""
    return 100.0 if np.nanmax(np.abs(values)) > 1 else 1.0
