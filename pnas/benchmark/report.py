"""Summaries of a benchmark: mean and standard error per budget, the JSON document, the printed table."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from pnas.benchmark.runner import BenchmarkResult

__all__ = ["FORMAT", "format_table", "summarize", "write_json"]

#: The ``format`` field of the JSON document.
FORMAT = "pnas.benchmark/v1"


def _mean_stderr(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def summarize(result: BenchmarkResult, scale: float = 100.0) -> dict[str, Any]:
    """The JSON-ready summary: per strategy and budget, mean, standard error and every run's value (times ``scale``).

    Returns:
        ``{"format", "settings", "budgets", "strategies": {name: {"seconds", "budgets": {"25": {"mean",
        "stderr", "runs": [..]}}, "curve": {"mean": [..], "stderr": [..]}}}}``; a curve has one entry per query.
    """
    strategies: dict[str, Any] = {}
    for name, curves in result.curves.items():
        per_budget = {}
        for budget in result.budgets:
            values = curves[:, budget - 1] * scale
            mean, stderr = _mean_stderr(values)
            per_budget[str(budget)] = {"mean": mean, "stderr": stderr, "runs": [float(v) for v in values]}
        means, errors = zip(*(_mean_stderr(curves[:, i] * scale) for i in range(curves.shape[1])), strict=True)
        strategies[name] = {
            "seconds": result.seconds[name],
            "budgets": per_budget,
            "curve": {"mean": list(means), "stderr": list(errors)},
        }
    return {"format": FORMAT, "settings": result.settings, "budgets": result.budgets, "strategies": strategies}


def write_json(summary: dict[str, Any], path: str | Path) -> Path:
    """Write ``summary`` as JSON (NaN as ``null``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cleaned = json.loads(json.dumps(summary), parse_constant=lambda _: None)
    path.write_text(json.dumps(cleaned, indent=1) + "\n")
    return path


def format_table(summary: dict[str, Any]) -> str:
    """A text table: one row per budget, one ``mean ± stderr`` column per strategy, and seconds per strategy."""
    names = list(summary["strategies"])
    width = max(16, *(len(name) for name in names))
    lines = ["budget".ljust(8) + "".join(name.rjust(width) for name in names)]
    for budget in summary["budgets"]:
        cells = [summary["strategies"][name]["budgets"][str(budget)] for name in names]
        lines.append(str(budget).ljust(8) + "".join(f"{c['mean']:.2f} ± {c['stderr']:.2f}".rjust(width) for c in cells))
    lines.append("seconds".ljust(8) + "".join(f"{summary['strategies'][n]['seconds']:.1f}".rjust(width) for n in names))
    return "\n".join(lines)
