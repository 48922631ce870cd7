"""Tabular benchmarks: evaluate a cell by looking its accuracy up in a CSV instead of training it."""

from __future__ import annotations

import csv
import io
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from pnas.errors import ConfigError, DataNotFoundError, brief
from pnas.files import read_user_text
from pnas.search.evaluation.base import Evaluation, Evaluator

__all__ = ["BenchmarkTable", "TableEvaluator", "percent_scale"]


class BenchmarkTable:
    """A CSV of architectures (one per row, named in a ``key`` column) and their numeric results.

    Args:
        path: The CSV file (UTF-8).
        key: The column naming each architecture (NAS-Bench-201: ``arch``).

    Raises:
        DataNotFoundError: The file does not exist.
        ConfigError: The file cannot be read as UTF-8 text or as CSV, is empty, has no ``key`` column, names a
            column twice, has no rows, has a row with more or fewer fields than the header or with an empty
            ``key``, or repeats an architecture; the message names the line.
    """

    def __init__(self, path: str | Path, key: str = "arch") -> None:
        self.path = Path(path)
        hint = "pass the CSV's path with --table"
        text = read_user_text(self.path, "benchmark table", ConfigError, missing=DataNotFoundError, hint=hint)
        header, rows = _read_csv(text, self.path)
        _check_header(header, key, self.path)
        self.columns = [name for name in header if name != key]
        self._rows: dict[str, dict[str, str]] = {}
        self._lines: list[int] = []
        lines: dict[str, int] = {}
        for line, fields in rows:
            row = _row_dict(header, fields, line, self.path)
            arch = row[key].strip()
            if not arch:
                raise ConfigError(f"{self.path} line {line} has an empty {key!r} entry; name the architecture")
            if arch in lines:
                raise ConfigError(
                    f"{self.path} lists architecture {brief(arch)} twice, on lines {lines[arch]} and {line}; "
                    "keep one row per architecture"
                )
            lines[arch], self._rows[arch] = line, row
            self._lines.append(line)
        if not self._rows:
            raise ConfigError(f"{self.path} has no rows under its header; add one row per architecture")
        self.architectures = list(self._rows)
        self._index = {arch: i for i, arch in enumerate(self.architectures)}
        self._numeric: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.architectures)

    def column(self, name: str) -> np.ndarray:
        """The numeric column ``name``, in row order.

        Raises:
            ConfigError: There is no such column, or an entry of it is not a number.
        """
        if name not in self._numeric:
            if name not in self.columns:
                raise ConfigError(f"{self.path} has no column {brief(name)}; choose one of {_names(self.columns)}")
            values = [row[name] for row in self._rows.values()]
            try:
                self._numeric[name] = np.array([float(value) for value in values])
            except ValueError:
                line, value = next((n, v) for n, v in zip(self._lines, values, strict=True) if not _is_number(v))
                raise ConfigError(
                    f"column {name!r} of {self.path} is not numeric: line {line} holds {brief(value)}; "
                    "write numbers (nan for a missing entry)"
                ) from None
        return self._numeric[name]

    def row(self, architecture: Any) -> int:
        """The row of ``architecture`` (looked up by ``str(architecture)``) in the numeric columns.

        Raises:
            KeyError: The architecture is not in the table.
        """
        row = self._index.get(str(architecture).strip())
        if row is None:
            raise KeyError(f"{architecture} is not in {self.path}")
        return row

    def value(self, architecture: Any, column: str) -> float:
        """The ``column`` entry of ``architecture`` (looked up by ``str(architecture)``).

        Raises:
            KeyError: The architecture is not in the table.
            ConfigError: There is no such column, or it is not numeric.
        """
        return float(self.column(column)[self.row(architecture)])


def _read_csv(text: str, path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the ``(line, fields)`` of each non-blank row of CSV ``text``.

    Raises:
        ConfigError: The text holds a NUL byte, is empty, or is not valid CSV (e.g. a field over the size limit).
    """
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        raise ConfigError(f"{path} holds a NUL byte on line {line}, so it is not a CSV table; is it a binary file?")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for fields in reader:
            if fields:
                rows.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ConfigError(
            f"{path} line {start} is not valid CSV: {error}; fix the row or write the table anew"
        ) from None
    if not rows:
        raise ConfigError(f"{path} is empty; a benchmark table is a CSV with a header row and a row per architecture")
    return rows[0][1], rows[1:]


def _check_header(header: list[str], key: str, path: Path) -> None:
    """Refuse a header without the ``key`` column or naming a column twice."""
    if key not in header:
        raise ConfigError(f"{path} has no {key!r} column; its columns: {_names(header)}")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise ConfigError(f"{path} names column {brief(name)} twice in its header; give each column one name")
        seen.add(name)


def _row_dict(header: list[str], fields: list[str], line: int, path: Path) -> dict[str, str]:
    """The row as ``{column: entry}``, refused unless it has as many fields as the header."""
    if len(fields) != len(header):
        count = f"{len(fields)} field" + ("s" if len(fields) != 1 else "")
        raise ConfigError(
            f"{path} line {line} has {count} but the header has {len(header)}; give every row one entry per column"
        )
    return dict(zip(header, fields, strict=True))


def _names(names: list[str], most: int = 20) -> str:
    """Column names for a message: as written, unless odd or long (then quoted and cut), at most ``most`` of them."""
    shown = [name if name.isprintable() and len(name) <= 40 else brief(name, limit=40) for name in names[:most]]
    return ", ".join(shown) + (f", ... ({len(names) - most} more)" if len(names) > most else "")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
        return self.report_range[1]

    @property
    def report_scale(self) -> float:
        """What the ``report`` column's entries are divided by to give fractions (100 for percentages, else 1)."""
        return self._scale[self.report]

    @property
    def report_range(self) -> tuple[float, float]:
        """The worst and the best ``report`` entry of the whole table, as fractions."""
        values = self.table.column(self.report) / self.report_scale
        return float(np.nanmin(values)), float(np.nanmax(values))

    def test(self, cell: Any, weights: dict[str, Any] | None = None, checkpoint: Path | None = None) -> float | None:
        """The cell's ``report`` entry, as a fraction (no weights, no checkpoint: nothing was trained)."""
        value = self.table.value(cell, self.report) / self._scale[self.report]
        return None if math.isnan(value) else value


def percent_scale(values: np.ndarray) -> float:
    """100 for a column of percentages (any value above 1), else 1."""
    return 100.0 if np.nanmax(np.abs(values)) > 1 else 1.0
