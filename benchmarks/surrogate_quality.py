"""Surrogate quality as the search uses it: Kendall tau and Spearman of each predictor on cells it was not fitted on.

Predictors side by side: parameter count, a random forest on one-hot blocks, the MLP ensemble, the LSTM ensemble
(``--predictors`` adds variants such as ``lstm+params``). Targets are the search signal (``--column``). Modes:

- NAS-Bench-201, random split: fit on N = 50, 100, 200, 400 random cells, rank 3,000 held-out ones, 5 splits;
- NAS-Bench-201, extrapolation: fit on every cell of levels <= b, rank the cells of level b + 1, 5 seeds;
- DARTS sample (NAS-Bench-301, 250 cells): 5-fold cross-validation, fitting on each training part and on its
  first N = 50, 100 cells.

    python benchmarks/surrogate_quality.py [--space all|nasbench201|darts] [--splits 5] [--json OUT.json]

Each figure is the mean ± standard error over splits, folds or seeds; ``--splits`` also caps the folds evaluated
and the extrapolation seeds. A space whose data file is absent is skipped with a message.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, run_script, table  # noqa: E402

from pnas.benchmark.darts import load_darts_sample  # noqa: E402
from pnas.benchmark.options import int_list  # noqa: E402
from pnas.benchmark.predictors import DEFAULT_PREDICTORS  # noqa: E402
from pnas.benchmark.quality import (  # noqa: E402
    cross_validation_quality,
    extrapolation_quality,
    nasbench201_data,
    summarize_quality,
    surrogate_quality,
)
from pnas.benchmark.table import BenchmarkTable  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
METRICS = (("kendall_tau", "Kendall"), ("spearman", "Spearman"))


def _figure(mean: float, se: float) -> str:
    return f"{mean:.3f}" if math.isnan(se) else f"{mean:.3f} ± {se:.3f}"


def quality_table(report: dict[str, Any], label: str | None = None) -> str:
    """A Markdown table of a quality report: one row per key (``label`` names it, if not the training size N),
    the cells fitted on and ranked, then Kendall and Spearman for each predictor."""
    summary = summarize_quality(report)
    names = list(summary)
    columns = [f"{metric} {name}" for _, metric in METRICS for name in names]
    lead = [label] if label else []
    headers = [*lead, "fit on (N)", "rank", *columns]
    rows = []
    for key, counts in report["rows"].items():
        cells = [_figure(*summary[name][key][metric]) for metric, _ in METRICS for name in names]
        rows.append([key] * len(lead) + [counts["train"], counts["test"], *cells])
    last = list(report["rows"])[-1]
    seconds = ", ".join(f"{name} {summary[name][last]['seconds'][0]:.2f}" for name in names)
    return table(headers, rows) + f"\n\nSeconds per fit and prediction, last row, mean: {seconds}.\n"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--space", choices=("all", "nasbench201", "darts"), default="all")
    parser.add_argument("--table", type=Path, default=DATA / "nasbench201" / "cifar10.csv", help="NB201 CSV")
    parser.add_argument("--darts", type=Path, default=DATA / "nasbench301" / "darts_dev.json", help="DARTS JSON")
    parser.add_argument(
        "--proxies",
        type=Path,
        default=Path(__file__).resolve().parent / "data" / "nasbench201_proxies.csv",
        help="NB201 zero-cost proxy table, side features of the +proxies predictors (default: benchmarks/data)",
    )
    parser.add_argument("--column", default="val_acc_12", help="NB201 column fitted and ranked (default: %(default)s)")
    parser.add_argument(
        "--sizes", type=int_list, default=[50, 100, 200, 400], help="training sizes N (default: 50,100,200,400)"
    )
    parser.add_argument("--held-out", type=int, default=3000, help="NB201 cells ranked per split (default: 3000)")
    parser.add_argument("--splits", type=int, default=5, help="splits, seeds and folds evaluated (default: 5)")
    parser.add_argument("--folds", type=int, default=5, help="DARTS cross-validation folds (default: 5)")
    parser.add_argument("--predictors", default=",".join(DEFAULT_PREDICTORS), help="default: %(default)s")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--no-progress", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the modes of the spaces asked for, print Markdown tables, return (and optionally write) the figures."""
    args = _parser().parse_args(argv)
    sizes = args.sizes
    names = [name.strip() for name in args.predictors.split(",") if name.strip()]
    progress, start, reports = not args.no_progress, time.perf_counter(), {}
    print(f"# Surrogate quality\n\nMachine: {machine()}.\n")
    if args.space in ("all", "nasbench201"):
        if not args.table.is_file():
            print(f"Skipping NAS-Bench-201: no table at {args.table} (pass --table).\n")
        else:
            data = BenchmarkTable(args.table)
            proxies = BenchmarkTable(args.proxies) if args.proxies.is_file() else None
            cells = nasbench201_data(data, args.column, proxies=proxies)
            random = surrogate_quality(cells, sizes, args.held_out, args.splits, names, progress)
            print(f"## NAS-Bench-201, random split ({args.column}, {args.splits} splits)\n")
            print(quality_table(random))
            extrapolation = extrapolation_quality(
                data, args.column, args.splits, names, progress=progress, proxies=proxies
            )
            print(f"## NAS-Bench-201, extrapolation: levels <= b fitted, level b + 1 ranked ({args.splits} seeds)\n")
            print(quality_table(extrapolation, "level ranked"))
            reports["nasbench201/random_split"], reports["nasbench201/extrapolation"] = random, extrapolation
    if args.space in ("all", "darts"):
        if not args.darts.is_file():
            print(f"Skipping DARTS: no sample at {args.darts} (pass --darts).\n")
        else:
            darts = load_darts_sample(args.darts)
            report = cross_validation_quality(darts, args.folds, sizes, args.splits, names, progress)
            print(f"## DARTS sample ({len(darts)} cells, val_accuracy), {args.folds}-fold cross-validation, ", end="")
            print(f"{report['evaluated_folds']} folds evaluated\n")
            print(quality_table(report))
            reports["darts/cross_validation"] = report
    seconds = time.perf_counter() - start
    print(f"Runtime: {seconds:.0f} s.")
    document = {"machine": machine(), "seconds": seconds, "arguments": sys.argv[1:] if argv is None else argv}
    document["reports"] = reports
    if args.json:
        args.json.write_text(json.dumps(document, indent=1) + "\n")
    return document


if __name__ == "__main__":
    run_script(main)
