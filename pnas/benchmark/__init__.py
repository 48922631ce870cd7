"""Honest comparisons on tabular benchmarks: tuning apart from reporting, strategies x seeds x budgets, reports."""

from __future__ import annotations

from pnas.benchmark.darts import load_darts_sample
from pnas.benchmark.markdown import checklist, markdown_report
from pnas.benchmark.predictors import PREDICTORS, QualityData
from pnas.benchmark.quality import cross_validation_quality, extrapolation_quality, surrogate_quality
from pnas.benchmark.report import summarize, welch_interval
from pnas.benchmark.runner import (
    STRATEGIES,
    BenchmarkResult,
    make_strategy,
    run_benchmark,
    run_strategy,
    worker_pool,
)
from pnas.benchmark.tuning import PARETO_TUNING_GRIDS, TUNING_GRIDS, TuningResult, tune

__all__ = [
    "PARETO_TUNING_GRIDS",
    "PREDICTORS",
    "STRATEGIES",
    "TUNING_GRIDS",
    "BenchmarkResult",
    "QualityData",
    "TuningResult",
    "checklist",
    "cross_validation_quality",
    "extrapolation_quality",
    "load_darts_sample",
    "make_strategy",
    "markdown_report",
    "run_benchmark",
    "run_strategy",
    "summarize",
    "surrogate_quality",
    "tune",
    "welch_interval",
    "worker_pool",
]
