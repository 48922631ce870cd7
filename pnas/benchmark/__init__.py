"""Honest comparisons on tabular benchmarks: tuning apart from reporting, strategies x seeds x budgets, reports.

Names load on first use, so ``from pnas.benchmark import BenchmarkTable`` does not import the harness or torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pnas._lazy import lazy_getattr

if TYPE_CHECKING:
    from pnas.benchmark.darts import load_darts_sample
    from pnas.benchmark.markdown import checklist, markdown_report
    from pnas.benchmark.predictors import PREDICTORS, QualityData
    from pnas.benchmark.quality import cross_validation_quality, extrapolation_quality, surrogate_quality
    from pnas.benchmark.report import summarize, welch_interval
    from pnas.benchmark.runner import BenchmarkResult, run_benchmark, run_strategy, worker_pool
    from pnas.benchmark.strategies import STRATEGIES, make_strategy
    from pnas.benchmark.table import BenchmarkTable, TableEvaluator
    from pnas.benchmark.tuning import (
        DEFAULT_SETTINGS,
        PARETO_DEFAULT_SETTINGS,
        PARETO_TUNING_GRIDS,
        TUNING_GRIDS,
        TuningResult,
        tune,
    )

_LAZY = {
    "BenchmarkResult": "pnas.benchmark.runner",
    "BenchmarkTable": "pnas.benchmark.table",
    "DEFAULT_SETTINGS": "pnas.benchmark.tuning",
    "PARETO_DEFAULT_SETTINGS": "pnas.benchmark.tuning",
    "PARETO_TUNING_GRIDS": "pnas.benchmark.tuning",
    "PREDICTORS": "pnas.benchmark.predictors",
    "QualityData": "pnas.benchmark.predictors",
    "STRATEGIES": "pnas.benchmark.strategies",
    "TUNING_GRIDS": "pnas.benchmark.tuning",
    "TableEvaluator": "pnas.benchmark.table",
    "TuningResult": "pnas.benchmark.tuning",
    "checklist": "pnas.benchmark.markdown",
    "cross_validation_quality": "pnas.benchmark.quality",
    "extrapolation_quality": "pnas.benchmark.quality",
    "load_darts_sample": "pnas.benchmark.darts",
    "make_strategy": "pnas.benchmark.strategies",
    "markdown_report": "pnas.benchmark.markdown",
    "run_benchmark": "pnas.benchmark.runner",
    "run_strategy": "pnas.benchmark.runner",
    "summarize": "pnas.benchmark.report",
    "surrogate_quality": "pnas.benchmark.quality",
    "tune": "pnas.benchmark.tuning",
    "welch_interval": "pnas.benchmark.report",
    "worker_pool": "pnas.benchmark.runner",
}

__all__ = [
    "BenchmarkResult",
    "BenchmarkTable",
    "DEFAULT_SETTINGS",
    "PARETO_DEFAULT_SETTINGS",
    "PARETO_TUNING_GRIDS",
    "PREDICTORS",
    "QualityData",
    "STRATEGIES",
    "TUNING_GRIDS",
    "TableEvaluator",
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

__getattr__ = lazy_getattr(__name__, _LAZY)
