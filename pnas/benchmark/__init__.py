"""Honest comparisons on tabular benchmarks: strategies x seeds x budgets, and surrogate quality."""

from __future__ import annotations

from pnas.benchmark.quality import surrogate_quality
from pnas.benchmark.runner import STRATEGIES, BenchmarkResult, make_strategy, run_benchmark, run_strategy

__all__ = ["STRATEGIES", "BenchmarkResult", "make_strategy", "run_benchmark", "run_strategy", "surrogate_quality"]
