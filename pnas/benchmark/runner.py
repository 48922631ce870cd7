"""Run search strategies on a table: every strategy, every seed, the largest budget; read smaller budgets off.

Every strategy is anytime (it proposes the same cells whatever budget it is given, only stopping sooner), so one
run per strategy and seed at the largest budget yields the result at each smaller budget as a prefix.

With a cost column the benchmark is multi-objective: progressive search runs in Pareto mode, NSGA-II joins, and
each run is measured by the hypervolume of its front (:mod:`pnas.benchmark.fronts`) instead of its best cell.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from tqdm.auto import tqdm

from pnas.benchmark.fit_cache import share_fits
from pnas.benchmark.fronts import ParetoBox, front_hypervolume_so_far
from pnas.benchmark.strategies import Cost, make_strategy, strategy_settings
from pnas.benchmark.table import TableEvaluator
from pnas.errors import ConfigError
from pnas.search.spaces.cell_space import SearchSpace
from pnas.search.strategies.base import Proposal, SearchStrategy
from pnas.search.strategies.steps import search_steps

__all__ = [
    "BenchmarkResult",
    "Evaluated",
    "best_so_far",
    "run_seed",
    "worker_pool",
    "elapsed",
    "run_benchmark",
    "run_strategy",
]


class Evaluated(NamedTuple):
    """One evaluation of a run: the signal and report entries (NaN: failed), the run's seconds so far, the cost.

    ``cost`` is the cell's entry in the cost column of a multi-objective benchmark (NaN: none).
    """

    signal: float
    report: float
    seconds: float
    cost: float = math.nan


def run_strategy(
    strategy: SearchStrategy, evaluator: TableEvaluator, budget: int, cost: Cost = None
) -> list[Evaluated]:
    """Let ``strategy`` spend up to ``budget`` evaluations; return each one's :class:`Evaluated`, in order.

    ``seconds`` counts from the call to the evaluation's lookup: the strategy's own work (proposing, fitting a
    surrogate on what it observed) falls on the evaluations that follow it, and so does the compute time its side
    features stand for (their ``seconds``: the zero-cost proxies of :class:`ProxyTableFeatures`). A failed lookup
    (no entry, or NaN) costs an evaluation and is recorded with NaN signal and report. With a ``cost`` column, each
    cell's entry is recorded too.
    """
    start = time.perf_counter()
    trajectory: list[Evaluated] = []
    stamps: list[float] = []
    side_features = getattr(strategy, "side_features", None)

    def look_up(proposal: Proposal) -> list[float | None]:
        accuracies: list[float | None] = [None] * len(proposal.cells)
        stamps[:] = [0.0] * len(proposal.cells)
        charged = float(getattr(side_features, "seconds", 0.0))
        for index, evaluation in evaluator.evaluate_all(proposal.cells):  # a cell missing from the table fails
            accuracies[index], stamps[index] = evaluation.accuracy, time.perf_counter() - start + charged
        return accuracies

    for proposal, accuracies in search_steps(strategy, look_up, max_evaluations=budget):
        for cell, accuracy, seconds in zip(proposal.cells, accuracies, stamps, strict=True):
            report = evaluator.test(cell) if accuracy is not None else None
            trajectory.append(
                Evaluated(
                    math.nan if accuracy is None else accuracy,
                    math.nan if report is None else report,
                    seconds,
                    math.nan if cost is None else cost.of_cell(cell),
                )
            )
    return trajectory


def run_seed(
    name: str,
    space: SearchSpace,
    evaluator: TableEvaluator,
    settings: Mapping[str, Any],
    seed: int,
    budget: int,
    cost: Cost = None,
    shared_fits: Path | None = None,
) -> list[Evaluated]:
    """Build strategy ``name`` for ``seed`` and let it spend ``budget`` evaluations (a picklable unit of work).

    With ``shared_fits`` (a folder), its surrogate loads the fits other runs made on the same cells from there
    (:func:`~pnas.benchmark.fit_cache.share_fits`).
    """
    strategy = make_strategy(name, space, budget, seed, cost, **settings)
    if shared_fits is not None and hasattr(strategy, "surrogate"):
        share_fits(strategy.surrogate, shared_fits)
    return run_strategy(strategy, evaluator, budget, cost)


def _one_torch_thread() -> None:
    import torch

    torch.set_num_threads(1)


@contextmanager
def worker_pool(workers: int) -> Iterator[Executor | None]:
    """``workers`` processes, one torch thread each, for :func:`run_benchmark` (``None`` for ``workers=1``).

    Small surrogate fits gain nothing from a second torch thread, so on a 2-core machine two single-threaded
    workers run about twice the seeds per minute of one process.

    Raises:
        ConfigError: ``workers`` is below 1.
    """
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    if workers == 1:
        yield None
        return
    context = multiprocessing.get_context("spawn")  # fork after torch has started threads can deadlock
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_torch_thread) as pool:
        yield pool


def best_so_far(trajectory: Sequence[tuple[float, ...]], length: int) -> np.ndarray:
    """After each of the first ``length`` evaluations: the report of the best-by-signal cell so far (NaN: none).

    Ties in signal keep the earlier cell. A trajectory shorter than ``length`` (the space ran out) holds its
    final value.
    """
    values = np.full(length, math.nan)
    best_signal, best_report = -math.inf, math.nan
    for i in range(length):
        if i < len(trajectory):
            signal, report = trajectory[i][:2]
            if signal > best_signal:  # False for NaN
                best_signal, best_report = signal, report
        values[i] = best_report
    return values


def elapsed(trajectory: Sequence[Evaluated], length: int) -> np.ndarray:
    """Cumulative seconds after each of the first ``length`` evaluations (held once the trajectory ends)."""
    values = np.array([entry.seconds for entry in trajectory[:length]], dtype=float)
    last = values[-1] if len(values) else 0.0
    return np.concatenate([values, np.full(length - len(values), last)])


@dataclass
class BenchmarkResult:
    """Every run's measure after each evaluation, per strategy, with the time it took.

    Attributes:
        budgets: The budgets reported on (numbers of evaluations).
        seeds: The seeds of the runs, the same for every strategy.
        curves: Strategy -> ``(runs, max budget)`` array: after each evaluation, the report column's value of the
            best-by-signal cell so far (a fraction); with a cost column, the normalised hypervolume of the front
            so far instead (:func:`~pnas.benchmark.fronts.front_hypervolume_so_far`).
        times: Strategy -> ``(runs, max budget)`` array: each run's cumulative wall-clock seconds after each
            evaluation.
        seconds: Strategy -> wall-clock seconds of all its runs.
        strategy_settings: Strategy -> the settings it ran with (those it reads).
        settings: What was run (table, columns, runs, strategy settings).
        box: The corners the hypervolumes are normalised by (``None``: a single-objective benchmark).
    """

    budgets: list[int]
    seeds: list[int] = field(default_factory=list)
    curves: dict[str, np.ndarray] = field(default_factory=dict)
    times: dict[str, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    strategy_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    box: ParetoBox | None = None

    def at(self, strategy: str, budget: int) -> np.ndarray:
        """Each run's measure (reported accuracy, or hypervolume) at ``budget`` evaluations."""
        return self.curves[strategy][:, budget - 1]


def run_benchmark(
    evaluator: TableEvaluator,
    space: SearchSpace,
    strategies: Sequence[str],
    budgets: Sequence[int],
    runs: int | Sequence[int],
    settings: dict[str, Any] | None = None,
    progress: bool = True,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    pool: Executor | None = None,
    cost: Cost = None,
    shared_fits: Path | None = None,
) -> BenchmarkResult:
    """Run each strategy once per seed at the largest budget on ``evaluator``'s table.

    Args:
        evaluator: The table lookup, with its signal and report columns.
        space: The space the table covers.
        strategies: Keys of :data:`STRATEGIES`.
        budgets: Numbers of evaluations to report on.
        runs: Seeds per strategy (seeds ``0..runs-1``), or the seeds themselves.
        settings: Strategy settings shared by all (``beam_size``, ``surrogate``, ``population_size``, ...).
        progress: Show a progress bar.
        overrides: Strategy -> settings that replace the shared ones for that strategy (e.g. its tuned ones).
        pool: Run the seeds in these worker processes (see :func:`worker_pool`); ``None``: in this process.
        cost: The table's cost column: each strategy searches for the front of signal against it, and each run is
            measured by its front's hypervolume in (report, cost) space; ``None``: by its best cell's report.
        shared_fits: A folder where the runs' surrogates share their fits (for tuning, whose configurations repeat
            one another's fits; a loaded fit takes no time, so reported runs never share).

    Raises:
        ConfigError: A strategy or setting is unknown or out of range, or does not fit the benchmark (single- or
            multi-objective), or a budget or the number of runs is below 1.
    """
    seeds = list(range(runs)) if isinstance(runs, int) else [int(seed) for seed in runs]
    if not budgets or min(budgets) < 1 or not seeds:
        raise ConfigError(f"budgets and runs must be >= 1, got budgets={list(budgets)} and runs={len(seeds)}")
    merged = {name: {**(settings or {}), **(overrides or {}).get(name, {})} for name in strategies}
    for name in strategies:
        if not isinstance(merged[name].get("surrogate", ""), str):
            raise ConfigError(
                "a benchmark builds one surrogate per run: give the surrogate by name (lstm, mlp, forest, blend)"
            )
        make_strategy(name, space, 1, 0, cost, **merged[name])  # fail on an unknown name or setting before any run
    largest = max(budgets)
    box = None if cost is None else ParetoBox.of_table(evaluator, cost)
    result = BenchmarkResult(sorted(set(budgets)), seeds, box=box)
    with tqdm(total=len(strategies) * len(seeds), desc="benchmark", unit="run", disable=not progress) as bar:
        for name in strategies:
            start, curves, times = time.perf_counter(), [], []
            bar.set_postfix_str(name)
            jobs = (name, space, evaluator, merged[name])
            if pool is None:
                trajectories: Iterator[list[Evaluated]] = (
                    run_seed(*jobs, seed, largest, cost, shared_fits) for seed in seeds
                )
            else:
                fixed = [repeat(value) for value in (largest, cost, shared_fits)]
                trajectories = pool.map(run_seed, *(repeat(job) for job in jobs), seeds, *fixed)
            for trajectory in trajectories:
                if box is None:
                    curves.append(best_so_far(trajectory, largest))
                else:
                    curves.append(front_hypervolume_so_far(trajectory, largest, box))
                times.append(elapsed(trajectory, largest))
                bar.update()
            result.curves[name], result.times[name] = np.stack(curves), np.stack(times)
            result.seconds[name] = time.perf_counter() - start
            result.strategy_settings[name] = strategy_settings(name, merged[name])
    return result
