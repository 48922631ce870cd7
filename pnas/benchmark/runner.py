"""Run search strategies on a table: every strategy, every seed, the largest budget; read smaller budgets off.

Every strategy is anytime (it proposes the same cells whatever budget it is given, only stopping sooner), so one
run per strategy and seed at the largest budget yields the result at each smaller budget as a prefix.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from pnas.errors import ConfigError
from pnas.search.baselines import LocalSearch, RandomSearch, RegularizedEvolution
from pnas.search.progressive import ProgressiveSearch
from pnas.search.spaces import SearchSpace
from pnas.search.strategy import SearchStrategy
from pnas.search.table import TableEvaluator

__all__ = ["STRATEGIES", "BenchmarkResult", "make_strategy", "run_benchmark", "run_strategy"]


def _progressive(space: SearchSpace, budget: int, seed: int, **settings: Any) -> SearchStrategy:
    known = ("beam_size", "surrogate", "batch_size", "exploration", "final_beam_size", "mutation_parents")
    options = {name: settings[name] for name in known if settings.get(name) is not None}
    return ProgressiveSearch(space=space, budget=budget, seed=seed, **options)


def _random(space: SearchSpace, budget: int, seed: int, **_: Any) -> SearchStrategy:
    return RandomSearch(space, budget, seed)


def _evolution(space: SearchSpace, budget: int, seed: int, **settings: Any) -> SearchStrategy:
    options = {name: settings[name] for name in ("population_size", "sample_size") if settings.get(name) is not None}
    return RegularizedEvolution(space, budget, seed=seed, **options)


def _local(space: SearchSpace, budget: int, seed: int, **_: Any) -> SearchStrategy:
    return LocalSearch(space, budget, seed)


#: Strategy name -> factory ``(space, budget, seed, **settings)``; each takes the settings it knows, ignores others.
STRATEGIES: dict[str, Callable[..., SearchStrategy]] = {
    "progressive": _progressive,
    "random": _random,
    "rea": _evolution,
    "local": _local,
}


def make_strategy(name: str, space: SearchSpace, budget: int, seed: int, **settings: Any) -> SearchStrategy:
    """Build the strategy ``name`` (a key of :data:`STRATEGIES`) for one run.

    Raises:
        ConfigError: The name is unknown.
    """
    if name not in STRATEGIES:
        raise ConfigError(f"unknown strategy {name!r}; choose from {', '.join(STRATEGIES)}")
    return STRATEGIES[name](space, budget, seed, **settings)


def run_strategy(strategy: SearchStrategy, evaluator: TableEvaluator, budget: int) -> list[tuple[float, float]]:
    """Let ``strategy`` spend up to ``budget`` evaluations; return ``(signal, report)`` of each, in order.

    A failed lookup (no entry, or NaN) costs an evaluation and is recorded as ``(nan, nan)``.
    """
    trajectory: list[tuple[float, float]] = []
    while len(trajectory) < budget and (proposal := strategy.propose()) is not None:
        cells = proposal.cells[: budget - len(trajectory)]
        accuracies = [_lookup(evaluator, cell) for cell in cells]
        strategy.observe(cells, accuracies)
        for cell, accuracy in zip(cells, accuracies, strict=True):
            report = evaluator.test(cell) if accuracy is not None else None
            trajectory.append((math.nan if accuracy is None else accuracy, math.nan if report is None else report))
    return trajectory


def _lookup(evaluator: TableEvaluator, cell: Any) -> float | None:
    try:
        return evaluator.evaluate(cell).accuracy
    except KeyError:  # a table need not hold every architecture of its space
        return None


def best_so_far(trajectory: Sequence[tuple[float, float]], length: int) -> np.ndarray:
    """After each of the first ``length`` evaluations: the report of the best-by-signal cell so far (NaN: none).

    Ties in signal keep the earlier cell. A trajectory shorter than ``length`` (the space ran out) holds its
    final value.
    """
    values = np.full(length, math.nan)
    best_signal, best_report = -math.inf, math.nan
    for i in range(length):
        if i < len(trajectory):
            signal, report = trajectory[i]
            if signal > best_signal:  # False for NaN
                best_signal, best_report = signal, report
        values[i] = best_report
    return values


@dataclass
class BenchmarkResult:
    """Best-so-far reported accuracy of every run, per strategy.

    Attributes:
        budgets: The budgets reported on (numbers of evaluations).
        curves: Strategy -> ``(runs, max budget)`` array: after each evaluation, the report column's value of the
            best-by-signal cell so far (a fraction).
        seconds: Strategy -> wall-clock seconds of all its runs.
        settings: What was run (table, columns, runs, strategy settings).
    """

    budgets: list[int]
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    def at(self, strategy: str, budget: int) -> np.ndarray:
        """The reported accuracy of each run at ``budget`` evaluations."""
        return self.curves[strategy][:, budget - 1]


def run_benchmark(
    evaluator: TableEvaluator,
    space: SearchSpace,
    strategies: Sequence[str],
    budgets: Sequence[int],
    runs: int,
    settings: dict[str, Any] | None = None,
    progress: bool = True,
) -> BenchmarkResult:
    """Run each strategy ``runs`` times (seeds 0..runs-1) at the largest budget on ``evaluator``'s table.

    Args:
        evaluator: The table lookup, with its signal and report columns.
        space: The space the table covers.
        strategies: Keys of :data:`STRATEGIES`.
        budgets: Numbers of evaluations to report on.
        runs: Seeds per strategy.
        settings: Strategy settings (``beam_size``, ``surrogate``, ``population_size``, ...).
        progress: Show a progress bar.

    Raises:
        ConfigError: A strategy is unknown, or a budget or ``runs`` is below 1.
    """
    if not budgets or min(budgets) < 1 or runs < 1:
        raise ConfigError(f"budgets and runs must be >= 1, got budgets={list(budgets)} and runs={runs}")
    for name in strategies:
        make_strategy(name, space, 1, 0, **(settings or {}))  # fail on an unknown name before any run
    largest = max(budgets)
    result = BenchmarkResult(sorted(set(budgets)))
    with tqdm(total=len(strategies) * runs, desc="benchmark", unit="run", disable=not progress) as bar:
        for name in strategies:
            start, curves = time.perf_counter(), []
            for seed in range(runs):
                bar.set_postfix_str(f"{name} seed {seed}")
                strategy = make_strategy(name, space, largest, seed, **(settings or {}))
                curves.append(best_so_far(run_strategy(strategy, evaluator, largest), largest))
                bar.update()
            result.curves[name], result.seconds[name] = np.stack(curves), time.perf_counter() - start
    return result
