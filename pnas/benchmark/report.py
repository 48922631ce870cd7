"""Summaries of a benchmark: mean and standard error per budget, differences with confidence intervals, the JSON.

The summary (:func:`summarize`) is a plain dict, the ``pnas.benchmark/v2`` JSON document; the printed tables and the
Markdown report (:mod:`pnas.benchmark.markdown`) are pure functions of it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pnas.benchmark.runner import BenchmarkResult
from pnas.benchmark.tuning import TuningResult

__all__ = [
    "CONFIDENCE",
    "FORMAT",
    "differences",
    "format_differences",
    "format_table",
    "summarize",
    "welch_interval",
    "write_json",
]

#: The ``format`` field of the JSON document.
FORMAT = "pnas.benchmark/v2"

#: Confidence level of the intervals on differences.
CONFIDENCE = 0.95


def _mean_stderr(values: np.ndarray) -> tuple[float, float]:
    values = values[~np.isnan(values)]
    if not len(values):
        return math.nan, math.nan
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def welch_interval(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> dict[str, float]:
    """Mean of ``a`` minus mean of ``b`` with its Welch t confidence interval (unequal variances; NaNs dropped).

    Returns:
        ``{"difference", "stderr", "df", "low", "high"}``; ``stderr`` is that of the difference, ``df`` the
        Welch-Satterthwaite degrees of freedom. With no spread in either sample the interval is the difference
        itself; with fewer than 2 values in a sample everything but the difference is NaN.
    """
    from scipy import stats

    x, y = (np.asarray(v, dtype=float) for v in (a, b))
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    difference = float(x.mean() - y.mean()) if len(x) and len(y) else math.nan
    if len(x) < 2 or len(y) < 2:
        return {"difference": difference, "stderr": math.nan, "df": math.nan, "low": math.nan, "high": math.nan}
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    stderr = math.sqrt(vx + vy)
    if stderr == 0:
        return {"difference": difference, "stderr": 0.0, "df": math.nan, "low": difference, "high": difference}
    df = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df)) * stderr
    return {
        "difference": difference,
        "stderr": stderr,
        "df": float(df),
        "low": difference - half,
        "high": difference + half,
    }


def differences(strategies: dict[str, Any], budgets: Sequence[int], reference: str | None) -> dict[str, Any]:
    """``reference`` minus each other strategy at each budget, from the summary's per-run values.

    Returns:
        ``{"reference", "confidence", "method", "baselines": {name: {"25": welch_interval(...)}}}``; no baselines
        when ``reference`` is ``None``.
    """
    baselines = {}
    if reference is not None:
        for name, entry in strategies.items():
            if name != reference:
                baselines[name] = {
                    str(b): welch_interval(
                        strategies[reference]["budgets"][str(b)]["runs"], entry["budgets"][str(b)]["runs"]
                    )
                    for b in budgets
                }
    return {"reference": reference, "confidence": CONFIDENCE, "method": "Welch t interval", "baselines": baselines}


def summarize(
    result: BenchmarkResult,
    scale: float = 100.0,
    tuning: TuningResult | None = None,
    environment: dict[str, Any] | None = None,
    total_seconds: float | None = None,
    reference: str = "progressive",
) -> dict[str, Any]:
    """The JSON-ready summary of a benchmark (format ``pnas.benchmark/v2``); accuracies times ``scale``.

    Args:
        result: The reported runs.
        scale: Factor on every accuracy (100: percent).
        tuning: The tuning record (``None``: settings were used as given).
        environment: Versions and hardware (see :func:`pnas.benchmark.environment.environment`).
        total_seconds: End-to-end wall-clock seconds of the command.
        reference: The strategy whose differences to the others are given; absent from the run: the first one.

    Returns:
        ``{"format", "settings", "budgets", "seeds": {"reported", "tuning"}, "tuning", "strategies": {name:
        {"settings", "seconds", "budgets": {"25": {"mean", "stderr", "runs", "seconds"}}, "curve": {"mean",
        "stderr", "seconds"}}}, "differences", "time": {"total_seconds", "tuning_seconds", "reported_seconds"},
        "environment"}``; a curve has one entry per evaluation, ``seconds`` are the runs' mean cumulative seconds.
        In a multi-objective benchmark (``settings["cost"]`` set) the values, curves and ``settings["optimum"]``
        are normalised hypervolumes (:mod:`pnas.benchmark.fronts`), as ``settings["measure"]`` says.
    """
    strategies: dict[str, Any] = {}
    for name, curves in result.curves.items():
        times = result.times[name]
        per_budget = {}
        for budget in result.budgets:
            values = curves[:, budget - 1] * scale
            mean, stderr = _mean_stderr(values)
            per_budget[str(budget)] = {
                "mean": mean,
                "stderr": stderr,
                "runs": [float(v) for v in values],
                "seconds": float(times[:, budget - 1].mean()),
            }
        means, errors = zip(*(_mean_stderr(curves[:, i] * scale) for i in range(curves.shape[1])), strict=True)
        strategies[name] = {
            "settings": result.strategy_settings.get(name, {}),
            "seconds": result.seconds[name],
            "budgets": per_budget,
            "curve": {"mean": list(means), "stderr": list(errors), "seconds": [float(t) for t in times.mean(axis=0)]},
        }
    tuning_record = tuning.as_dict() if tuning is not None else None
    reported_seconds = sum(result.seconds.values())
    tuning_seconds = tuning_record["seconds"] if tuning_record is not None else 0.0
    return {
        "format": FORMAT,
        "settings": result.settings,
        "budgets": result.budgets,
        "seeds": {"reported": result.seeds, "tuning": tuning.seeds if tuning is not None else []},
        "tuning": tuning_record,
        "strategies": strategies,
        "differences": differences(
            strategies, result.budgets, reference if reference in strategies else next(iter(strategies), None)
        ),
        "time": {
            "total_seconds": total_seconds if total_seconds is not None else reported_seconds + tuning_seconds,
            "tuning_seconds": tuning_seconds,
            "reported_seconds": reported_seconds,
        },
        "environment": environment or {},
    }


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


def format_differences(summary: dict[str, Any]) -> str:
    """A text table of the reference minus each baseline per budget, with its confidence interval ('' if none)."""
    record = summary["differences"]
    names = list(record["baselines"])
    if not names:
        return ""
    width = max(26, *(len(name) + 2 for name in names))
    lines = [
        f"{record['reference']} minus each baseline, {100 * record['confidence']:.0f}% CI ({record['method']})",
        "budget".ljust(8) + "".join(name.rjust(width) for name in names),
    ]
    for budget in summary["budgets"]:
        cells = [record["baselines"][name][str(budget)] for name in names]
        lines.append(
            str(budget).ljust(8)
            + "".join(f"{c['difference']:+.2f} [{c['low']:+.2f}, {c['high']:+.2f}]".rjust(width) for c in cells)
        )
    return "\n".join(lines)
