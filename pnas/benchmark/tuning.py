"""Tuning kept apart from reporting: each strategy's settings are chosen on the signal column and on other seeds.

Every tunable strategy gets the same budget: the same number of candidate configurations (its grid in
:data:`TUNING_GRIDS`), each run on the same tuning seeds, which never overlap the reported seeds. The tuning runs
look the table up through an evaluator whose report column *is* the signal column, so nothing a tuning run does can
depend on the column the benchmark reports. A multi-objective benchmark scores a configuration by the hypervolume
of its fronts in (signal, cost) space, likewise.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from pnas.benchmark.runner import run_benchmark
from pnas.benchmark.strategies import Cost, make_strategy
from pnas.benchmark.table import BenchmarkTable, TableEvaluator
from pnas.errors import ConfigError
from pnas.search.spaces.cell_space import SearchSpace

__all__ = [
    "DEFAULT_SETTINGS",
    "PARETO_DEFAULT_SETTINGS",
    "PARETO_TUNING_GRIDS",
    "TUNING_GRIDS",
    "TUNING_SEED_OFFSET",
    "TuningResult",
    "format_tuning",
    "score_configuration",
    "tune",
    "tuning_seeds",
    "untuned_settings",
]

#: Strategy -> its candidate configurations, each a dict of settings laid over the command's; the same count for
#: every tunable strategy (random search has no settings, hence no grid). Every progressive configuration climbs from
#: the best full cell; one of them restarts the climb from a random unseen cell at a local optimum, as local search
#: does, which tuning chooses where the climb stalls. Of equal scores the first is chosen, so the first configuration
#: is the one a table with no preference gets. Each refits its surrogate once a quarter more cells are in
#: (``refit_growth``), which finds the same cells as a refit every 10 with two thirds of the fits.
TUNING_GRIDS: dict[str, tuple[dict[str, Any], ...]] = {
    "progressive": tuple(
        {"beam_size": 5, "batch_size": 10, "mutation_parents": 1, "climb_share": 1.0, "refit_growth": 0.25, **climb}
        for climb in (
            {"exploration": 0.0, "climb_round": 1, "restart_samples": 0},
            {"exploration": 0.0, "climb_round": 1, "restart_samples": 1},  # restarts at a local optimum
            {"exploration": 0.0, "climb_round": 2, "restart_samples": 0},
            {"exploration": 1.0, "climb_round": 1, "restart_samples": 0},  # ordered by the mean plus the spread
        )
    ),
    "rea": (
        {"population_size": 5, "sample_size": 5},
        {"population_size": 10, "sample_size": 10},
        {"population_size": 20, "sample_size": 5},
        {"population_size": 50, "sample_size": 10},
    ),
    "local": (
        {"variant": "first", "initial_samples": 1},
        {"variant": "first", "initial_samples": 10},
        {"variant": "best", "initial_samples": 1},
        {"variant": "best", "initial_samples": 10},
    ),
}

#: What ``pnas benchmark --no-tune`` runs, and the benchmark scripts' defaults: per strategy, the configuration of its
#: grid that tuning chose on the CIFAR-10 table's signal (``benchmarks/results/nasbench201.md``).
DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "progressive": dict(TUNING_GRIDS["progressive"][0]),
    "rea": dict(TUNING_GRIDS["rea"][1]),
    "local": dict(TUNING_GRIDS["local"][0]),
}

#: The same for a multi-objective benchmark (``--cost``): progressive search in Pareto mode, with and without the
#: neighbours of its front among the candidates, and NSGA-II; again the same count for each.
#: Each progressive configuration also pins the climb's share, round, restarts and refits to those the documented
#: front was measured with (``benchmarks/results/nasbench201_pareto.md``), whatever the single-objective defaults
#: become.
PARETO_TUNING_GRIDS: dict[str, tuple[dict[str, Any], ...]] = {
    "progressive": tuple(
        {
            "beam_size": 10,
            "batch_size": 10,
            "climb_share": 0.5,
            "climb_round": None,
            "restart_samples": 0,
            "refit_growth": 0.0,
            **varied,
        }
        for varied in (
            {"exploration": 0.0, "mutation_parents": 0},
            {"exploration": 1.0, "mutation_parents": 0},
            {"exploration": 0.0, "mutation_parents": 20},
            {"exploration": 1.0, "mutation_parents": 20},
        )
    ),
    "nsga2": (
        {"population_size": 5},
        {"population_size": 10},
        {"population_size": 20},
        {"population_size": 40},
    ),
}

#: What ``pnas benchmark --cost ... --no-tune`` runs: per strategy, the configuration of its Pareto grid that tuning
#: chose on the CIFAR-10 table's signal and parameter count (``benchmarks/results/nasbench201_pareto.md``).
PARETO_DEFAULT_SETTINGS: dict[str, dict[str, Any]] = {
    "progressive": dict(PARETO_TUNING_GRIDS["progressive"][2]),
    "nsga2": dict(PARETO_TUNING_GRIDS["nsga2"][0]),
}


def untuned_settings(multi_objective: bool) -> dict[str, Any]:
    """Every setting ``pnas benchmark --no-tune`` runs where no flag sets it, by setting name.

    Single-objective: :data:`DEFAULT_SETTINGS`; multi-objective (``--cost``): :data:`PARETO_DEFAULT_SETTINGS` over
    them. A climb that never restarts, ``climb_round`` 0 for rounds of ``batch_size`` and a refit every
    ``batch_size`` cells, where none of them sets them.
    """
    chosen = PARETO_DEFAULT_SETTINGS if multi_objective else DEFAULT_SETTINGS
    settings: dict[str, Any] = {"restart_samples": 0, "climb_round": 0, "refit_growth": 0.0}
    for defaults in DEFAULT_SETTINGS, chosen:
        for configuration in defaults.values():
            settings.update(configuration)
    settings["climb_round"] = settings["climb_round"] or 0
    return settings


#: Tuning seeds are ``TUNING_SEED_OFFSET + i``; reported runs use seeds ``0..runs-1``, below it.
TUNING_SEED_OFFSET = 10_000


def tuning_seeds(runs: int, reported_runs: int = 0) -> list[int]:
    """The seeds of ``runs`` tuning runs, disjoint from the reported seeds ``0..reported_runs-1``.

    Raises:
        ConfigError: ``runs`` is below 1, or the reported seeds would reach the tuning seeds.
    """
    if runs < 1:
        raise ConfigError(f"tuning runs must be >= 1, got {runs}")
    if reported_runs > TUNING_SEED_OFFSET:
        raise ConfigError(f"runs must be <= {TUNING_SEED_OFFSET} so reported seeds stay apart from tuning seeds")
    return [TUNING_SEED_OFFSET + i for i in range(runs)]


@dataclass
class TuningResult:
    """What tuning tried and chose.

    Attributes:
        signal: The column every configuration was scored on (and the only one read).
        table: The table tuned on.
        seeds: The tuning seeds.
        budgets: The budgets whose mean the score is.
        grids: Strategy -> its configurations (empty: nothing to tune).
        scores: Strategy -> each configuration's score: the mean over budgets of the runs' mean best-so-far signal
            (in percent), or with a cost column their mean hypervolume in (signal, cost) space (in percent).
        chosen: Strategy -> index of its best configuration (the first of equal scores); absent: nothing to tune.
        seconds: Strategy -> wall-clock seconds of its tuning runs.
        cost: The cost column of a multi-objective benchmark (``None``: single-objective).
    """

    signal: str
    table: str
    seeds: list[int]
    budgets: list[int]
    grids: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scores: dict[str, list[float]] = field(default_factory=dict)
    chosen: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    cost: str | None = None

    def chosen_settings(self, name: str) -> dict[str, Any]:
        """The configuration chosen for strategy ``name`` (empty when it has none)."""
        return dict(self.grids[name][self.chosen[name]]) if name in self.chosen else {}

    def as_dict(self) -> dict[str, Any]:
        """The JSON-ready record: signal, table, seeds, budgets, seconds and per strategy grid, scores and choice."""
        return {
            "signal": self.signal,
            "cost": self.cost,
            "table": self.table,
            "seeds": self.seeds,
            "budgets": self.budgets,
            "seconds": sum(self.seconds.values()),
            "strategies": {
                name: {
                    "grid": grid,
                    "scores": self.scores[name],
                    "chosen_index": self.chosen.get(name),
                    "chosen": self.chosen_settings(name),
                    "seconds": self.seconds[name],
                }
                for name, grid in self.grids.items()
            },
        }


def score_configuration(
    evaluator: TableEvaluator,
    space: SearchSpace,
    name: str,
    settings: dict[str, Any],
    budgets: Sequence[int],
    seeds: Sequence[int],
    pool: Executor | None = None,
    cost: Cost = None,
    shared_fits: Path | None = None,
) -> float:
    """Run strategy ``name`` with ``settings`` on each seed; return the mean over ``budgets`` of the runs' mean measure.

    What is averaged is the evaluator's report entry of each run's best-by-signal cell, in percent, or with a
    ``cost`` the hypervolume of each run's front in (report, cost) space; tuning passes an evaluator that reports
    the signal. ``shared_fits``: a folder where the runs' surrogates share their fits with other configurations'.
    """
    result = run_benchmark(
        evaluator,
        space,
        [name],
        budgets,
        seeds,
        settings,
        progress=False,
        pool=pool,
        cost=cost,
        shared_fits=shared_fits,
    )
    per_budget = [float(np.nanmean(result.at(name, budget))) for budget in result.budgets]
    return 100 * float(np.mean(per_budget))


def tune(
    table: BenchmarkTable,
    signal: str,
    space: SearchSpace,
    strategies: Sequence[str],
    budgets: Sequence[int],
    seeds: Sequence[int],
    settings: dict[str, Any] | None = None,
    grids: Mapping[str, Sequence[dict[str, Any]]] | None = None,
    progress: bool = True,
    pool: Executor | None = None,
    cost: Cost = None,
    share_surrogate_fits: bool = True,
) -> TuningResult:
    """Score every configuration of every strategy on ``signal`` alone; choose each strategy's best.

    Args:
        table: The table to tune on; only its ``signal`` column is read.
        signal: The column the strategies optimise, and the one the configurations are scored on.
        space: The space the table covers.
        strategies: Keys of :data:`~pnas.benchmark.strategies.STRATEGIES`.
        budgets: The budgets whose mean is the score.
        seeds: The tuning seeds (see :func:`tuning_seeds`).
        settings: Settings shared by all configurations; a configuration replaces the ones it names.
        grids: Strategy -> configurations (default :data:`TUNING_GRIDS`, with a ``cost``
            :data:`PARETO_TUNING_GRIDS`); a strategy without one is not tuned.
        progress: Show a progress bar.
        pool: Worker processes for the runs (:func:`~pnas.benchmark.runner.worker_pool`); ``None``: this process.
        cost: The tuning table's cost column, for a multi-objective benchmark (``None``: single-objective).
        share_surrogate_fits: Load a surrogate fit another configuration made on the same cells (below) instead of
            making it again; ``False`` makes every fit.

    The configurations of a grid run on the same seeds and repeat one another's surrogate fits until their searches
    part; each such fit is made once and loaded after (:func:`~pnas.benchmark.fit_cache.share_fits`), which
    changes no run.

    Raises:
        ConfigError: A configuration's setting is out of range.
    """
    if grids is None:
        grids = TUNING_GRIDS if cost is None else PARETO_TUNING_GRIDS
    evaluator = TableEvaluator(table, signal, signal)  # the report IS the signal: tuning cannot see the report column
    cost_name = None if cost is None else cost.name
    record = TuningResult(signal, str(table.path), list(seeds), sorted(set(budgets)), cost=cost_name)
    for name in strategies:
        record.grids[name] = [dict(config) for config in grids.get(name, ())]
        for config in record.grids[name]:
            make_strategy(name, space, 1, 0, cost, **{**(settings or {}), **config})  # fail before any run
    total = sum(len(grid) for grid in record.grids.values())
    with (
        tqdm(total=total, desc="tuning", unit="config", disable=not progress) as bar,
        tempfile.TemporaryDirectory(prefix="pnas-tuning-fits-") as folder,
    ):
        shared_fits = Path(folder) if share_surrogate_fits else None
        for name, grid in record.grids.items():
            start, record.scores[name] = time.perf_counter(), []
            for config in grid:
                bar.set_postfix_str(f"{name} {config}")
                merged = {**(settings or {}), **config}
                score = score_configuration(evaluator, space, name, merged, budgets, seeds, pool, cost, shared_fits)
                record.scores[name].append(score)
                bar.update()
            record.seconds[name] = time.perf_counter() - start
            if grid:
                keyed = [-math.inf if math.isnan(score) else score for score in record.scores[name]]
                record.chosen[name] = int(np.argmax(keyed))
    return record


def format_tuning(record: TuningResult) -> str:
    """Text lines: per strategy, every configuration's score with the chosen one marked, and the tuning cost."""
    seeds = f"seeds {record.seeds[0]}..{record.seeds[-1]}" if len(record.seeds) > 1 else f"seed {record.seeds[0]}"
    measure = "the best-so-far"
    if record.cost is not None:
        measure = f"the front's hypervolume in ({record.signal}, {record.cost})"
    lines = [f"tuning on {record.signal} of {record.table}, {seeds}: mean over budgets of {measure} (%)"]
    for name, grid in record.grids.items():
        if not grid:
            lines.append(f"  {name}: nothing to tune")
        for index, (config, score) in enumerate(zip(grid, record.scores[name], strict=True)):
            settings = ", ".join(f"{key}={value}" for key, value in config.items())
            mark = "  <- chosen" if index == record.chosen.get(name) else ""
            lines.append(f"  {name}: {settings}: {score:.2f}{mark}")
    lines.append(f"tuning: {sum(record.seconds.values()):.1f} s")
    return "\n".join(lines)
