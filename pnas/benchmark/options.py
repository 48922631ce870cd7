"""``pnas benchmark``'s command line: its flags, their defaults for the benchmark's mode, the strategies' settings."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pnas.benchmark.strategies import MULTI_OBJECTIVE, SINGLE_OBJECTIVE
from pnas.benchmark.tuning import untuned_settings
from pnas.search.strategies.baselines import LocalSearch
from surrogate import SURROGATES

__all__ = ["SETTING_FLAGS", "command_line_settings", "int_list", "parse_options"]

#: The flags of strategy settings whose unset value depends on ``--cost`` (:func:`untuned_settings`), by setting.
SETTING_FLAGS = {
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


def int_list(text: str) -> list[int]:
    """Parse ``'25,50,100'`` into integers (an argparse ``type``)."""
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def parse_options(args: list[str]) -> tuple[argparse.Namespace, set[str]]:
    """The options, each unset strategy setting filled in for the benchmark's mode, and the settings given."""
    options = _parser().parse_args([_dashed_flag(arg) for arg in args])
    defaults = untuned_settings(multi_objective=options.cost is not None)
    given = {setting for setting, dest in SETTING_FLAGS.items() if getattr(options, dest) is not None}
    for setting, dest in SETTING_FLAGS.items():
        if setting not in given:
            setattr(options, dest, defaults[setting])
    return options, given


def command_line_settings(options: argparse.Namespace) -> dict[str, Any]:
    """Every strategy's settings as the command line gives them (``None``: the strategy's own default)."""
    settings = {setting: getattr(options, dest) for setting, dest in SETTING_FLAGS.items()}
    settings["climb_round"] = options.climb_round or None  # 0 on the command line: rounds of --batch-size
    return {
        **settings,
        "surrogate": options.surrogate,
        "final_beam_size": options.final_beam_size,
        "proxies": None if options.proxies is None else str(options.proxies),
    }


def _dashed_flag(arg: str) -> str:
    """``arg`` with the underscores of its flag name as dashes: ``--report_column=x`` -> ``--report-column=x``.

    Flags may so be spelled as ``pnas search`` spells its own; values and positional arguments are left as they are.
    """
    if not arg.startswith("--"):
        return arg
    name, equals, value = arg.partition("=")
    return name.replace("_", "-") + equals + value


def _default(setting: str) -> str:
    """A setting's defaults in a flag's help: one, or one without ``--cost`` and another with it."""
    alone, with_cost = untuned_settings(False)[setting], untuned_settings(True)[setting]
    return f"(default: {alone})" if alone == with_cost else f"(default: {alone}; with --cost: {with_cost})"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pnas benchmark",
        description="Compare search strategies on a NAS-Bench-201 table: same table, same budgets, many seeds. "
        "The search sees --signal; the --report-column of its best-by-signal architecture is reported. Each "
        "strategy's settings are first tuned on --signal alone, over seeds disjoint from the reported ones, with the "
        "same number of configurations for every tunable strategy (--no-tune: use the given settings as is). "
        "Flags take dashes or, as pnas search's do, underscores (--report-column or --report_column).",
    )
    _add_benchmark_flags(parser)
    _add_tuning_flags(parser)
    _add_progressive_flags(parser)
    _add_baseline_flags(parser)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes running seeds side by side, one torch thread each (default: 1)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _add_benchmark_flags(parser: argparse.ArgumentParser) -> None:
    """The table, its columns, the budgets, the runs, the strategies and the outputs."""
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


def _add_tuning_flags(parser: argparse.ArgumentParser) -> None:
    tuning = parser.add_argument_group("tuning (on --signal, on seeds 10000.., before the reported runs)")
    tuning.add_argument("--no-tune", action="store_true", help="no tuning: run the settings below as given")
    tuning.add_argument("--tune-runs", type=int, default=10, help="seeds per configuration (default: %(default)s)")
    tuning.add_argument("--tune-table", type=Path, help="tune on this table instead (default: --table)")


def _add_progressive_flags(parser: argparse.ArgumentParser) -> None:
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
        "--batch-size", type=int, help=f"cells per round at the last level {_default('batch_size')}"
    )
    progressive.add_argument("--exploration", type=float, help=f"weight of the ensemble std {_default('exploration')}")
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


def _add_baseline_flags(parser: argparse.ArgumentParser) -> None:
    evolution = parser.add_argument_group("regularized evolution and NSGA-II")
    evolution.add_argument(
        "--population-size", type=int, help=f"REA's or NSGA-II's population {_default('population_size')}"
    )
    evolution.add_argument("--sample-size", type=int, help=f"tournament size {_default('sample_size')}")
    local = parser.add_argument_group("local search")
    local.add_argument("--local-variant", choices=LocalSearch.VARIANTS, help=f"improvement rule {_default('variant')}")
    local.add_argument(
        "--initial-samples",
        type=int,
        help=f"random cells per (re)start, climb from the best {_default('initial_samples')}",
    )
