"""``pnas benchmark``: tune, then run strategies x seeds x budgets on a NAS-Bench-201 table; print, save, report.

With ``--cost COLUMN`` the benchmark is multi-objective: it measures fronts of the signal against that column. The
flags are in :mod:`pnas.benchmark.options`.
"""

from __future__ import annotations

import argparse
import os
import shlex
import time
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from pnas.benchmark.environment import environment
from pnas.benchmark.fronts import ParetoBox
from pnas.benchmark.markdown import markdown_report
from pnas.benchmark.nb201_table import NB201TableCost, nasbench201_space
from pnas.benchmark.options import SETTING_FLAGS, command_line_settings, parse_options
from pnas.benchmark.report import format_differences, format_table, summarize, write_json
from pnas.benchmark.runner import BenchmarkResult, run_benchmark, worker_pool
from pnas.benchmark.strategies import MULTI_OBJECTIVE, SINGLE_OBJECTIVE, check_strategy
from pnas.benchmark.table import BenchmarkTable, TableEvaluator
from pnas.benchmark.tuning import PARETO_TUNING_GRIDS, TUNING_GRIDS, TuningResult, format_tuning, tune, tuning_seeds
from pnas.errors import ConfigError
from pnas.search.spaces.nasbench201 import NASBench201Space

__all__ = ["benchmark_command"]


def benchmark_command(args: list[str]) -> dict:
    """Run ``pnas benchmark`` with command-line ``args``; print the tables; return the JSON summary.

    Raises:
        ConfigError: A setting, column, output path or the table is wrong.
        DataNotFoundError: The table does not exist.
    """
    start = time.perf_counter()
    options, given_settings = parse_options(args)
    strategies = _strategies(options)
    plot_path = options.plot or next(
        (path.with_suffix(".png") for path in (options.json, options.report) if path is not None), Path("benchmark.png")
    )
    for path, flag in ((options.json, "--json"), (options.report, "--report"), (plot_path, "--plot")):
        _check_writable(path, flag)
    table = BenchmarkTable(options.table)
    if options.report is not None and str(options.report) in table.columns:
        column = options.report
        raise ConfigError(
            f"--report takes the Markdown file to write; to report column {column}, --report-column {column}"
        )
    evaluator = TableEvaluator(table, options.signal, options.report_column)
    space = nasbench201_space(table)
    cost = None
    if options.cost is not None:
        cost = NB201TableCost(table, options.cost)
        ParetoBox.of_table(evaluator, cost)  # refuse a column without spread before any run
    settings = command_line_settings(options)
    with worker_pool(options.workers) as pool:  # started once, for tuning and the reported runs
        tuning = None
        if not options.no_tune:
            for note in _grid_overrides(options, given_settings, strategies):
                print(note)
            tuning = _tune(options, table, space, cost, strategies, settings, pool)
            print(format_tuning(tuning))
        overrides = {name: tuning.chosen_settings(name) for name in strategies} if tuning is not None else None
        result = run_benchmark(
            evaluator, space, strategies, options.budgets, options.runs, settings, not options.no_progress, overrides,
            pool, cost,
        )  # fmt: skip
    optimum = 100 * (evaluator.best_report if result.box is None else result.box.table_optimum(evaluator, cost))
    box = None if result.box is None else _box(result.box, evaluator)
    result.settings = _recorded_settings(args, options, space.ops, settings, tuning, optimum, box)
    summary = summarize(result, tuning=tuning, environment=environment(), total_seconds=time.perf_counter() - start)
    _print_and_write(summary, result, options, plot_path, optimum)
    return summary


def _strategies(options: argparse.Namespace) -> list[str]:
    """The strategies to compare, each checked, and the budgets and runs checked.

    Raises:
        ConfigError: No strategy, an unknown one, or budgets or runs below 1.
    """
    allowed = SINGLE_OBJECTIVE if options.cost is None else MULTI_OBJECTIVE
    given = options.strategies if options.strategies is not None else ",".join(allowed)
    strategies = [name.strip() for name in given.split(",") if name.strip()]
    if not strategies:
        raise ConfigError(f"no strategy given; choose from {', '.join(allowed)}")
    for name in strategies:
        check_strategy(name, multi_objective=options.cost is not None)
    if not options.budgets or min(options.budgets) < 1 or options.runs < 1:
        raise ConfigError(f"budgets and runs must be >= 1, got budgets={options.budgets} and runs={options.runs}")
    return strategies


def _tune(
    options: argparse.Namespace,
    table: BenchmarkTable,
    space: NASBench201Space,
    cost: NB201TableCost | None,
    strategies: list[str],
    settings: dict[str, Any],
    pool: Executor | None,
) -> TuningResult:
    """Tune each strategy on the signal of ``--tune-table`` (default: the table), on the tuning seeds."""
    tune_table = table if options.tune_table is None else BenchmarkTable(options.tune_table)
    tune_space = space if options.tune_table is None else nasbench201_space(tune_table)
    tune_cost = cost if options.tune_table is None or cost is None else NB201TableCost(tune_table, cost.name)
    seeds = tuning_seeds(options.tune_runs, options.runs)
    return tune(
        tune_table, options.signal, tune_space, strategies, options.budgets, seeds, settings,
        progress=not options.no_progress, pool=pool, cost=tune_cost,
    )  # fmt: skip


def _recorded_settings(
    args: list[str],
    options: argparse.Namespace,
    ops: tuple[str, ...],
    settings: dict[str, Any],
    tuning: TuningResult | None,
    optimum: float,
    box: dict[str, list[float]] | None,
) -> dict[str, Any]:
    """What the JSON summary and the report record of how the benchmark ran (``box``: the hypervolume's corners)."""
    return {
        "command": shlex.join(["pnas", "benchmark", *args]),
        "table": str(options.table),
        "space": f"NASBench201Space({', '.join(ops)})",
        "signal": options.signal,
        "report_column": options.report_column,
        "cost": options.cost,
        "measure": _measure(options.report_column, options.signal, options.cost),
        **({} if box is None else {"box": box}),
        "runs": options.runs,
        "workers": options.workers,
        "tune": tuning is not None,
        "tune_runs": options.tune_runs if tuning is not None else 0,
        "tune_table": str(options.tune_table or options.table) if tuning is not None else None,
        "optimum": optimum,
        "given": settings,
    }


def _print_and_write(
    summary: dict, result: BenchmarkResult, options: argparse.Namespace, plot_path: Path, optimum: float
) -> None:
    """Print the results and the differences; write the plot, and the JSON and the report where asked."""
    measure = summary["settings"]["measure"]
    print(f"{measure} (%), mean ± standard error of {options.runs} runs (seeds 0..{options.runs - 1})")
    print(format_table(summary))
    if differences := format_differences(summary):
        print(differences)
    print(f"end to end: {summary['time']['total_seconds']:.1f} s")
    from pnas.plots import plot_benchmark

    curves = {name: curve * 100 for name, curve in result.curves.items()}
    label = f"{options.report_column} of best-by-signal (%)"
    if options.cost is not None:
        label = f"hypervolume in ({options.report_column}, {options.cost}) (%)"
    print(f"plot: {plot_benchmark(curves, result.budgets, plot_path, label, optimum, result.times)}")
    if options.json is not None:
        print(f"results: {write_json(summary, options.json)}")
    if options.report is not None:
        figure = os.path.relpath(plot_path.absolute(), options.report.absolute().parent)
        options.report.parent.mkdir(parents=True, exist_ok=True)
        options.report.write_text(markdown_report(summary, figure))
        print(f"report: {options.report}")


def _check_writable(path: Path | None, flag: str) -> None:
    """Raise a one-line :class:`ConfigError` unless ``path`` can be written (its folder may not exist yet)."""
    if path is None:
        return
    path = path.absolute()
    if path.is_dir():
        raise ConfigError(f"{flag} {path} is a folder; give a file name")
    existing = path.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"cannot write {flag} {path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise ConfigError(f"cannot write {flag} {path}: permission denied")


def _grid_overrides(options: argparse.Namespace, given: set[str], strategies: list[str]) -> list[str]:
    """Notes on settings given on the command line that the tuning grid replaces."""
    notes = []
    grids = TUNING_GRIDS if options.cost is None else PARETO_TUNING_GRIDS
    for name in strategies:
        grid = grids.get(name, ())
        for key in sorted({key for config in grid for key in config} & given):
            dest = SETTING_FLAGS[key]
            flag = f"--{dest.replace('_', '-')} {getattr(options, dest)}"
            where = "with --no-tune only" if all(key in config for config in grid) else "where the grid leaves it"
            notes.append(f"note: {name}'s tuning grid sets {key}, so {flag} applies {where}")
    return notes


def _measure(report: str, signal: str, cost: str | None) -> str:
    """What each run is measured by, in words."""
    if cost is None:
        return f"{report} of the best-by-{signal} cell"
    return f"normalised hypervolume in ({report}, {cost}) of the ({signal}, {cost}) front"


def _box(box: ParetoBox, evaluator: TableEvaluator) -> dict[str, list[float]]:
    """The hypervolume's corners for the JSON, in the table's units."""
    scale = evaluator.report_scale
    return {"reference": [box.reference[0] * scale, box.reference[1]], "ideal": [box.ideal[0] * scale, box.ideal[1]]}
