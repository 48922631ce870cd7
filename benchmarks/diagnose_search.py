"""Why a strategy wins or loses on a NAS-Bench-201 table: where its evaluations go and how good its guide is.

For each run (tuning seeds by default, so nothing here reads the reported seeds) it records:

- **progressive search**: the quality of the level-2 beam (the percentile of its cells' signal among all level-2
  cells), the best full cell reachable from that beam (the children the last level can propose) against the
  table's best, the surrogate's Kendall tau on the cells each step proposes (predicted before the step against
  the signal found), and on 1,000 random full cells after the last fit;
- **every strategy**: the best signal found at each budget, and the evaluation at which the final best was found.

    python benchmarks/diagnose_search.py --table ../shared/data/nasbench201/cifar10.csv --signal val_acc_12 \
        [--runs 10] [--budget 150] [--json OUT.json]

Settings are ``pnas benchmark --no-tune``'s defaults; ``--set progressive.mutation_parents=0``
overrides one. Any NAS-Bench-201 table in the same CSV format works, with any column names.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, table  # noqa: E402

from pnas.benchmark.nb201_table import nasbench201_space  # noqa: E402
from pnas.benchmark.quality import mean_se  # noqa: E402
from pnas.benchmark.strategies import make_strategy  # noqa: E402
from pnas.benchmark.table import BenchmarkTable  # noqa: E402
from pnas.benchmark.tuning import DEFAULT_SETTINGS, TUNING_SEED_OFFSET  # noqa: E402
from pnas.search.spaces.nasbench201 import NB201Cell, nb201_level_cells  # noqa: E402
from pnas.search.strategies.base import Proposal  # noqa: E402
from pnas.search.strategies.scoring import encode  # noqa: E402
from pnas.search.strategies.steps import search_steps  # noqa: E402
from surrogate.ranking import rank_correlations  # noqa: E402

BUDGETS = (25, 50, 100, 150)

#: ``pnas benchmark --no-tune``'s defaults (docs/evaluation.md); ``--set`` overrides one.
SETTINGS: dict[str, dict[str, Any]] = {
    **{name: dict(settings) for name, settings in DEFAULT_SETTINGS.items()},
    "random": {},
}


def _signal_of(bench: BenchmarkTable, signal: str) -> dict[NB201Cell, float]:
    values = bench.column(signal)
    return {
        NB201Cell.from_arch(arch): float(value)
        for arch, value in zip(bench.architectures, values, strict=True)
        if np.isfinite(value)
    }


def _percentile(value: float, population: np.ndarray) -> float:
    """The share of ``population`` at or below ``value``, in percent."""
    return 100.0 * float(np.mean(population <= value))


def diagnose_run(name: str, settings: dict[str, Any], seed: int, budget: int, context: dict[str, Any]) -> dict:
    """One run of strategy ``name``: its best-so-far curve and, for progressive search, its beam and guide."""
    space, signal_of = context["space"], context["signal_of"]
    strategy = make_strategy(name, space, budget, seed, **settings)
    found: list[float] = []
    evaluated: list[NB201Cell] = []
    steps: list[dict[str, Any]] = []

    def look_up(proposal: Proposal) -> list[float | None]:
        values = [signal_of.get(cell) for cell in proposal.cells]
        evaluated.extend(proposal.cells)
        found.extend(math.nan if value is None else value for value in values)
        known = [(p, v) for p, v in zip(proposal.predicted, values, strict=True) if p is not None and v is not None]
        tau = (
            rank_correlations([p for p, _ in known], [v for _, v in known])["kendall_tau"] if len(known) >= 3 else None
        )
        level = proposal.cells[0].level if proposal.cells else None
        steps.append({"level": level, "cells": len(proposal.cells), "tau": tau})
        return values

    beam_level2: list[NB201Cell] = []
    for proposal, _ in search_steps(strategy, look_up, max_evaluations=budget):
        if name == "progressive" and proposal.cells and proposal.cells[0].level == 2:
            beam_level2 = list(proposal.cells)
    curve = np.fmax.accumulate(np.nan_to_num(np.asarray(found), nan=-np.inf))
    run: dict[str, Any] = {
        "best_at": {b: float(curve[min(b, len(curve)) - 1]) for b in BUDGETS if b <= budget},
        "final_best_found_at": int(np.argmax(curve == curve[-1])) + 1,
    }
    if name == "progressive":
        level2 = context["level2"]
        region = {child for cell in beam_level2 for child in cell.children(space.ops)}
        reachable = [signal_of[child] for child in region]
        last_level = [cell for cell in evaluated if cell.level == 3]
        outside = 100.0 * sum(cell not in region for cell in last_level) / max(1, len(last_level))
        sample = context["sample"]
        mean, _ = strategy.predict(encode(space, sample), sample.__getitem__)
        run.update(
            beam_percentile=float(np.mean([_percentile(signal_of[cell], level2) for cell in beam_level2])),
            reachable_best=max(reachable) if reachable else None,
            outside_beam=outside,
            step_tau=steps,
            tau_random_full_cells=rank_correlations(mean, [signal_of[cell] for cell in sample])["kendall_tau"],
        )
    return run


def main(argv: list[str] | None = None) -> None:
    """Run the diagnosis and print (and optionally save) its summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", required=True)
    parser.add_argument("--signal", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--budget", type=int, default=150)
    parser.add_argument("--strategies", default="progressive,local,rea")
    parser.add_argument("--set", action="append", default=[], help="strategy.setting=value, e.g. local.variant=best")
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    bench = BenchmarkTable(args.table)
    space = nasbench201_space(bench)
    signal_of = _signal_of(bench, args.signal)
    full = [cell for cell in signal_of if cell.level == 3]
    rng = np.random.default_rng(0)
    context = {
        "space": space,
        "signal_of": signal_of,
        "level2": np.array([signal_of[cell] for cell in nb201_level_cells(2, space.ops) if cell in signal_of]),
        "sample": [full[int(i)] for i in rng.choice(len(full), min(1000, len(full)), replace=False)],
    }
    table_best = max(signal_of[cell] for cell in full)
    overrides: dict[str, dict[str, Any]] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        strategy_name, _, setting = key.partition(".")
        overrides.setdefault(strategy_name, {})[setting] = json.loads(value) if value[:1] in "0123456789-[{" else value
    seeds = [TUNING_SEED_OFFSET + i for i in range(args.runs)]
    summary: dict[str, Any] = {"table": args.table, "signal": args.signal, "table_best": table_best, "seeds": seeds}
    for name in args.strategies.split(","):
        settings = {**SETTINGS.get(name, {}), **overrides.get(name, {})}
        runs = [diagnose_run(name, settings, seed, args.budget, context) for seed in seeds]
        summary[name] = {"settings": settings, "runs": runs}
        print(f"\n{name} {settings}")
        rows = [[f"best at {b}", *_mean_se([run["best_at"][b] for run in runs])] for b in runs[0]["best_at"]]
        rows.append(["final best found at evaluation", *_mean_se([run["final_best_found_at"] for run in runs])])
        if name == "progressive":
            rows.append(["level-2 beam: signal percentile", *_mean_se([run["beam_percentile"] for run in runs])])
            rows.append(["best reachable from the beam", *_mean_se([run["reachable_best"] for run in runs])])
            rows.append(["table's best full cell", f"{table_best:.2f}", ""])
            rows.append(["tau on 1,000 random full cells", *_mean_se([run["tau_random_full_cells"] for run in runs])])
            rows.append(["level-3 evaluations outside the beam's children (%)", *_mean_se(
                [run["outside_beam"] for run in runs])])  # fmt: skip
            for label, first, last in (("step 2", 1, 1), ("level-3 rounds 1-5", 2, 6), ("level-3 rounds 6+", 7, 99)):
                taus = [
                    step["tau"] for run in runs for step in run["step_tau"][first:last + 1]
                    if step["tau"] is not None and math.isfinite(step["tau"])
                ]  # fmt: skip
                if taus:
                    rows.append([f"tau on the proposals of {label} (each step's own)", *_mean_se(taus)])
        print(table(["", "mean", "± SE"], rows))
    summary["machine"] = machine()
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1, default=str))


def _mean_se(values: list[float]) -> list[str]:
    mean, se = mean_se(values)
    return [f"{mean:.2f}", f"{se:.2f}"]


if __name__ == "__main__":
    main()
