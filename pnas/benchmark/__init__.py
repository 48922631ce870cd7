"""Honest comparisons on tabular benchmarks: tuning apart from reporting, strategies x seeds x budgets, reports."""

from __future__ import annotations

from pnas.benchmark.markdown import checklist, markdown_report
from pnas.benchmark.quality import surrogate_quality
from pnas.benchmark.report import summarize, welch_interval
from pnas.benchmark.runner import STRATEGIES, BenchmarkResult, make_strategy, run_benchmark, run_strategy
from pnas.benchmark.tuning import TUNING_GRIDS, TuningResult, tune

__all__ = [
    "STRATEGIES",
    "TUNING_GRIDS",
    "BenchmarkResult",
    "TuningResult",
    "checklist",
    "make_strategy",
    "markdown_report",
    "run_benchmark",
    "run_strategy",
    "summarize",
    "surrogate_quality",
    "tune",
    "welch_interval",
]
