"""``pnas benchmark``: tune, then run strategies x seeds x budgets on a NAS-Bench-201 table; print, save, report.

With ``--cost COLUMN`` the benchmark is multi-objective: it measures fronts of the signal against that column.
"""

from __future__ import annotations

import argparse
import os
import shlex
import time
from pathlib import Path

from pnas.benchmark.environment import environment
from pnas.benchmark.fronts import ParetoBox
from pnas.benchmark.markdown import markdown_report
from pnas.benchmark.nb201_table import NB201TableCost, nasbench201_space
from pnas.benchmark.report import format_differences, format_table, summarize, write_json
from pnas.benchmark.runner import (
    MULTI_OBJECTIVE,
    SINGLE_OBJECTIVE,
    check_strategy,
    run_benchmark,
    worker_pool,
)
from pnas.benchmark.table import BenchmarkTable, TableEvaluator
from pnas.benchmark.tuning import (
    PARETO_TUNING_GRIDS,
    TUNING_GRIDS,
    format_tuning,
    tune,
    tuning_seeds,
    untuned_settings,
)
from pnas.errors import ConfigError
from pnas.search.strategies.baselines import LocalSearch
from surrogate import SURROGATES

__all__ = ["benchmark_command", "int_list"]


def int_list(text: str) -> list[int]:
    """Parse ``'25,50,100'`` into integers (an argparse ``type``)."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _dashed_flag(arg: str) -> str:
    """``arg`` with the underscores of its flag name as dashes: ``--report_column=x`` -> ``--report-column=x``.

    Flags may so be spelled as ``pnas search`` spells its own; values and positional arguments are left as they are.
    """
    if not arg.startswith("--"):
        return arg
    name, equals, value = arg.partition("=")
    return name.replace("_", "-") + equals + value


#: The flags of strategy settings whose unset value depends on ``--cost`` (:func:`untuned_settings`), by setting.
_SETTING_FLAGS = {
    "beam_size": "beam_size",
    "batch_size": "batch_size",
    "exploration": "exploration",
    "mutation_parents": "mutation_parents",
    "climb_share": "climb_share",
    "restart_samples": "restart_samples",
    "climb_round": "climb_round",
    "refit_growth": "refit_growth",
    "population_size": "population_size",
    "sample_size": "sample_size",
    "variant": "local_variant",
    "initial_samples": "initial_samples",
}


def _default(setting: str) -> str:
    """A setting's defaults in a flag's help: one, or one without ``--cost`` and another with it."""
    alone, with_cost = untuned_settings(False)[setting], untuned_settings(True)[setting]
    return f"(default: {alone})" if alone == with_cost else f"(default: {alone}; with --cost: {with_cost})"


def _parse(args: list[str]) -> tuple[argparse.Namespace, set[str]]:
    """The options, each unset strategy setting filled in for the benchmark's mode, and the settings given."""
    options = _parser().parse_args([_dashed_flag(arg) for arg in args])
    defaults = untuned_settings(multi_objective=options.cost is not None)
    given = {setting for setting, dest in _SETTING_FLAGS.items() if getattr(options, dest) is not None}
    for setting, dest in _SETTING_FLAGS.items():
        if setting not in given:
            setattr(options, dest, defaults[setting])
    return options, given


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pnas benchmark",
        description="Compare search strategies on a NAS-Bench-201 table: same table, same budgets, many seeds. "
        "The search sees --signal; the --report-column of its best-by-signal architecture is reported. Each "
        "strategy's settings are first tuned on --signal alone, over seeds disjoint from the reported ones, with the "
        "same number of configurations for every tunable strategy (--no-tune: use the given settings as is). "
        "Flags take dashes or, as pnas search's do, underscores (--report-column or --report_column).",
    )
    parser.add_argument("--table", required=True, type=Path, help="CSV with an 'arch' column in NB201 format")
    parser.add_argument("--signal", default="val_acc_12", help="column the strategies optimise (default: %(default)s)")
    parser.add_argument(
        "--report-column", default="test_acc_200", help="column reported, never tuned on (default: %(default)s)"
    )
    parser.add_argument(
        "--budgets", type=int_list, default=[25, 50, 100, 150], help="evaluations (default: 25,50,100,150)"
    )
    parser.add_argument("--runs", type=int, default=30, help="reported seeds 0..runs-1 per strategy (default: 30)")
    parser.add_argument(
        "--strategies",
        help=f"comma-separated, of {', '.join(SINGLE_OBJECTIVE)} (default: all), or with --cost of "
        f"{', '.join(MULTI_OBJECTIVE)} (default: all)",
    )
    parser.add_argument(
        "--cost",
        help="a column to minimise (e.g. params_m): every strategy searches for the front of --signal against it "
        "(progressive search in Pareto mode, NSGA-II joins), and each run is measured by its front's normalised "
        "hypervolume in (--report-column, --cost) space",
    )
    parser.add_argument("--json", type=Path, help="write the results here (format pnas.benchmark/v2)")
    parser.add_argument("--report", type=Path, help="write the Markdown report here, with the NAS checklist")
    parser.add_argument(
        "--plot",
        type=Path,
        help="performance over queries and over time (default: next to --json or --report, or ./benchmark.png)",
    )
    tuning = parser.add_argument_group("tuning (on --signal, on seeds 10000.., before the reported runs)")
    tuning.add_argument("--no-tune", action="store_true", help="no tuning: run the settings below as given")
    tuning.add_argument("--tune-runs", type=int, default=10, help="seeds per configuration (default: %(default)s)")
    tuning.add_argument("--tune-table", type=Path, help="tune on this table instead (default: --table)")
    progressive = parser.add_argument_group("progressive search (the tuning grid replaces what it varies)")
    progressive.add_argument("--beam-size", type=int, help=f"K, cells kept per level {_default('beam_size')}")
    progressive.add_argument(
        "--surrogate", choices=list(SURROGATES), default="lstm", help="the accuracy predictor (default: %(default)s)"
    )
    progressive.add_argument(
        "--proxies",
        type=Path,
        help="a zero-cost proxy table of the space's cells (benchmarks/data/nasbench201_proxies.csv): the "
        "surrogate's side features, their compute time counted in each run's wall clock",
    )
    progressive.add_argument(
        "--batch-size",
        type=int,
        help=f"cells per round at the last level {_default('batch_size')}",
    )
    progressive.add_argument(
        "--exploration",
        type=float,
        help=f"weight of the ensemble std {_default('exploration')}",
    )
    progressive.add_argument(
        "--final-beam-size", type=int, help="last-level parents: this many previous-level cells by the surrogate"
    )
    progressive.add_argument(
        "--mutation-parents",
        type=int,
        help="unseen neighbours of this many best last-level cells join each round's candidates "
        + _default("mutation_parents"),
    )
    progressive.add_argument(
        "--climb-share",
        type=float,
        help=f"share of each last-level round kept for those neighbours {_default('climb_share')}; 0: they compete",
    )
    progressive.add_argument(
        "--restart-samples",
        type=int,
        help="at a local optimum the climb restarts from the surrogate's best of this many random unseen cells "
        f"{_default('restart_samples')}; 0: no restart",
    )
    progressive.add_argument(
        "--climb-round",
        type=int,
        help="cells per round of the climb, the surrogate refitted every --batch-size cells "
        f"{_default('climb_round')}; 0: --batch-size",
    )
    progressive.add_argument(
        "--refit-growth",
        type=float,
        help="in rounds of --climb-round, refit once the new cells are --batch-size or this share of those fitted "
        f"on, whichever is more {_default('refit_growth')}; 0: every --batch-size",
    )
    evolution = parser.add_argument_group("regularized evolution and NSGA-II")
    evolution.add_argument(
        "--population-size", type=int, help=f"REA's or NSGA-II's population {_default('population_size')}"
    )
    evolution.add_argument(
        "--sample-size",
        type=int,
        help=f"tournament size {_default('sample_size')}",
    )
    local = parser.add_argument_group("local search")
    local.add_argument(
        "--local-variant",
        choices=LocalSearch.VARIANTS,
        help=f"improvement rule {_default('variant')}",
    )
    local.add_argument(
        "--initial-samples",
        type=int,
        help=f"random cells per (re)start, climb from the best {_default('initial_samples')}",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes running seeds side by side, one torch thread each (default: 1)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


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
            dest = _SETTING_FLAGS[key]
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


def benchmark_command(args: list[str]) -> dict:
    """Run ``pnas benchmark`` with command-line ``args``; print the tables; return the JSON summary.

    Raises:
        ConfigError: A setting, column, output path or the table is wrong.
        DataNotFoundError: The table does not exist.
    """
    start = time.perf_counter()
    options, given_settings = _parse(args)
    allowed = SINGLE_OBJECTIVE if options.cost is None else MULTI_OBJECTIVE
    given = options.strategies if options.strategies is not None else ",".join(allowed)
    strategies = [name.strip() for name in given.split(",") if name.strip()]
    if not strategies:
        raise ConfigError(f"no strategy given; choose from {', '.join(allowed)}")
    for name in strategies:
        check_strategy(name, multi_objective=options.cost is not None)
    if not options.budgets or min(options.budgets) < 1 or options.runs < 1:
        raise ConfigError(f"budgets and runs must be >= 1, got budgets={options.budgets} and runs={options.runs}")
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
    settings = {
        "beam_size": options.beam_size,
        "surrogate": options.surrogate,
        "batch_size": options.batch_size,
        "exploration": options.exploration,
        "final_beam_size": options.final_beam_size,
        "mutation_parents": options.mutation_parents,
        "climb_share": options.climb_share,
        "restart_samples": options.restart_samples,
        "climb_round": options.climb_round or None,
        "refit_growth": options.refit_growth,
        "proxies": None if options.proxies is None else str(options.proxies),
        "population_size": options.population_size,
        "sample_size": options.sample_size,
        "variant": options.local_variant,
        "initial_samples": options.initial_samples,
    }
    tuning = None
    with worker_pool(options.workers) as pool:  # started once, for tuning and the reported runs
        if not options.no_tune:
            tune_table = table if options.tune_table is None else BenchmarkTable(options.tune_table)
            tune_space = space if options.tune_table is None else nasbench201_space(tune_table)
            tune_cost = cost if options.tune_table is None or cost is None else NB201TableCost(tune_table, cost.name)
            seeds = tuning_seeds(options.tune_runs, options.runs)
            for note in _grid_overrides(options, given_settings, strategies):
                print(note)
            tuning = tune(
                tune_table, options.signal, tune_space, strategies, options.budgets, seeds, settings,
                progress=not options.no_progress, pool=pool, cost=tune_cost,
            )  # fmt: skip
            print(format_tuning(tuning))
        overrides = {name: tuning.chosen_settings(name) for name in strategies} if tuning is not None else None
        result = run_benchmark(
            evaluator, space, strategies, options.budgets, options.runs, settings, not options.no_progress, overrides,
            pool, cost,
        )  # fmt: skip
    optimum = 100 * (evaluator.best_report if result.box is None else result.box.table_optimum(evaluator, cost))
    measure = _measure(options.report_column, options.signal, options.cost)
    result.settings = {
        "command": shlex.join(["pnas", "benchmark", *args]),
        "table": str(options.table),
        "space": f"NASBench201Space({', '.join(space.ops)})",
        "signal": options.signal,
        "report_column": options.report_column,
        "cost": options.cost,
        "measure": measure,
        **({} if result.box is None else {"box": _box(result.box, evaluator)}),
        "runs": options.runs,
        "workers": options.workers,
        "tune": tuning is not None,
        "tune_runs": options.tune_runs if tuning is not None else 0,
        "tune_table": str(options.tune_table or options.table) if tuning is not None else None,
        "optimum": optimum,
        "given": settings,
    }
    summary = summarize(result, tuning=tuning, environment=environment(), total_seconds=time.perf_counter() - start)
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
    return summary
