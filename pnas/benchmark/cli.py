"""``pnas benchmark``: strategies x seeds x budgets on a NAS-Bench-201 table, as a table, a JSON and a plot."""

from __future__ import annotations

import argparse
from pathlib import Path

from pnas.benchmark.report import format_table, summarize, write_json
from pnas.benchmark.runner import STRATEGIES, run_benchmark
from pnas.errors import ConfigError, GenotypeError
from pnas.search.progressive import SURROGATES
from pnas.search.spaces import NASBench201Space
from pnas.search.table import BenchmarkTable, TableEvaluator
from pnas.space.nasbench201 import NB201_OPS, NB201Cell

__all__ = ["benchmark_command", "nasbench201_space"]


def _int_list(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pnas benchmark",
        description="Compare search strategies on a NAS-Bench-201 table: same table, same budgets, many seeds. "
        "The search sees --signal; the --report column of its best-by-signal architecture is reported.",
    )
    parser.add_argument("--table", required=True, type=Path, help="CSV with an 'arch' column in NB201 format")
    parser.add_argument("--signal", default="val_acc_12", help="column the strategies optimise (default: %(default)s)")
    parser.add_argument("--report", default="test_acc_200", help="column reported (default: %(default)s)")
    parser.add_argument(
        "--budgets", type=_int_list, default=[25, 50, 100, 150], help="evaluations (default: 25,50,100,150)"
    )
    parser.add_argument("--runs", type=int, default=30, help="seeds per strategy (default: %(default)s)")
    parser.add_argument(
        "--strategies", default=",".join(STRATEGIES), help=f"comma-separated, of {', '.join(STRATEGIES)} (default: all)"
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument(
        "--plot", type=Path, help="performance-over-queries picture (default: next to --json, or ./benchmark.png)"
    )
    progressive = parser.add_argument_group("progressive search")
    progressive.add_argument("--beam-size", type=int, default=10, help="K, cells kept per level (default: %(default)s)")
    progressive.add_argument(
        "--surrogate", choices=list(SURROGATES), default="mlp", help="(default: %(default)s; lstm is about 4x slower)"
    )
    progressive.add_argument(
        "--batch-size", type=int, help="cells per round at the last level (default: the beam size)"
    )
    progressive.add_argument("--exploration", type=float, default=1.0, help="weight of the ensemble std (default: 1)")
    progressive.add_argument(
        "--final-beam-size", type=int, help="last-level parents: this many previous-level cells by the surrogate"
    )
    progressive.add_argument(
        "--mutation-parents",
        type=int,
        default=0,
        help="neighbours of this many best last-level cells join (default: 0)",
    )
    evolution = parser.add_argument_group("regularized evolution")
    evolution.add_argument("--population-size", type=int, default=20, help="(default: %(default)s)")
    evolution.add_argument("--sample-size", type=int, default=5, help="tournament size (default: %(default)s)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def nasbench201_space(table: BenchmarkTable) -> NASBench201Space:
    """The NB201 space over the ops the table's architectures use, checked to hold every partial cell.

    Raises:
        ConfigError: An architecture is not in NB201 format, or a level-1 or level-2 cell is missing.
    """
    try:
        cells = [NB201Cell.from_arch(arch) for arch in table.architectures]
    except GenotypeError as error:
        raise ConfigError(f"{table.path} is not a NAS-Bench-201 table: {error}") from None
    used = {op for cell in cells for op in cell.edges}
    space = NASBench201Space([op for op in NB201_OPS if op in used])
    known = set(cells)
    for cell in space.initial_cells():
        for partial in (cell, *cell.children(space.ops)):
            if partial not in known:
                raise ConfigError(f"{table.path} lacks {partial.to_arch()}, a level-{partial.level} cell")
    return space


def benchmark_command(args: list[str]) -> dict:
    """Run ``pnas benchmark`` with command-line ``args``; print the table; return the JSON summary.

    Raises:
        ConfigError: A setting, column or the table is wrong.
        DataNotFoundError: The table does not exist.
    """
    options = _parser().parse_args(args)
    strategies = [name.strip() for name in options.strategies.split(",") if name.strip()]
    unknown = [name for name in strategies if name not in STRATEGIES]
    if unknown or not strategies:
        raise ConfigError(
            f"unknown strategy {unknown[0] if unknown else '(none)'}; choose from {', '.join(STRATEGIES)}"
        )
    table = BenchmarkTable(options.table)
    evaluator = TableEvaluator(table, options.signal, options.report)
    space = nasbench201_space(table)
    settings = {
        "beam_size": options.beam_size,
        "surrogate": options.surrogate,
        "batch_size": options.batch_size,
        "exploration": options.exploration,
        "final_beam_size": options.final_beam_size,
        "mutation_parents": options.mutation_parents,
        "population_size": options.population_size,
        "sample_size": options.sample_size,
    }
    result = run_benchmark(
        evaluator, space, strategies, options.budgets, options.runs, settings, not options.no_progress
    )
    result.settings = {
        "table": str(options.table),
        "signal": options.signal,
        "report": options.report,
        "runs": options.runs,
        "optimum": 100 * evaluator.best_report,
        **settings,
    }
    summary = summarize(result)
    print(f"{options.report} (%) of the best-by-{options.signal} cell, mean ± standard error of {options.runs} runs")
    print(format_table(summary))
    if options.json is not None:
        print(f"results: {write_json(summary, options.json)}")
    from pnas.plots import plot_benchmark

    plot_path = options.plot or (
        options.json.with_suffix(".png") if options.json is not None else Path("benchmark.png")
    )
    curves = {name: curve * 100 for name, curve in result.curves.items()}
    print(f"plot: {plot_benchmark(curves, result.budgets, plot_path, options.report, 100 * evaluator.best_report)}")
    return summary
