"""Surrogate quality on NAS-Bench-201: rank correlation on held-out architectures. Target: LSTM tau >= 0.6 at N=200.

For N in 50, 100, 200, 400 random training architectures, each surrogate (LSTM ensemble, MLP ensemble) is fitted
on N architectures and ranks 3,000 held-out ones, over 5 random splits; parameter count alone is the baseline.

    python benchmarks/surrogate_quality.py [--table ../shared/data/nasbench201/cifar10.csv] [--column test_acc_200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, table  # noqa: E402

from pnas.benchmark import surrogate_quality  # noqa: E402
from pnas.benchmark.cli import nasbench201_space  # noqa: E402
from pnas.search.table import BenchmarkTable  # noqa: E402
from pnas.space.nasbench201 import NB201Cell  # noqa: E402

DEFAULT_TABLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "nasbench201" / "cifar10.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE)
    parser.add_argument("--column", default="test_acc_200", help="accuracy column fitted and ranked")
    parser.add_argument("--sizes", default="50,100,200,400")
    parser.add_argument("--held-out", type=int, default=3000)
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args()
    if not args.table.is_file():
        raise SystemExit(f"no table at {args.table}; pass --table")
    data = BenchmarkTable(args.table)
    start = time.perf_counter()
    report = surrogate_quality(
        data,
        nasbench201_space(data),
        NB201Cell.from_arch,
        args.column,
        sizes=[int(n) for n in args.sizes.split(",")],
        held_out=args.held_out,
        splits=args.splits,
    )
    seconds = time.perf_counter() - start
    predictors = report["predictors"]
    rows = []
    for n in report["sizes"]:
        row = [n]
        for metric in ("kendall_tau", "spearman"):
            for name in predictors:
                values = predictors[name][n][metric]
                row.append(f"{statistics.mean(values):.3f} ± {statistics.stdev(values) / len(values) ** 0.5:.3f}")
        rows.append(row)
    headers = ["N"] + [f"{metric} {name}" for metric in ("kendall", "spearman") for name in predictors]
    print(f"machine: {machine()}; {args.column}; {args.held_out} held out; {args.splits} splits; {seconds:.0f} s")
    print(table(headers, rows))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
