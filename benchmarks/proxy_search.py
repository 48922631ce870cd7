"""Progressive search with and without zero-cost proxies as the surrogate's side features: LSTM, forest and blend.

Development runs, never the reported seeds: seeds 10000-10009 (``--runs``), the signal as the report, budgets 25 /
50 / 100 / 150, the defaults of ``pnas benchmark`` otherwise (K=5, rounds of 10, the climb from the best full cell
with every round); local search and REA at their defaults beside them. The proxies' compute time (the
table's ``seconds`` of every distinct cell scored or fitted on) is counted in each run's wall clock.

    python benchmarks/proxy_search.py [--table CIFAR10.csv] [--signal val_acc_12] [--proxies PROXIES.csv]
        [--surrogates lstm,forest,blend] [--without-proxies] [--runs 10] [--workers 2] [--json OUT.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, run_script, table  # noqa: E402

from pnas.benchmark.quality import mean_se  # noqa: E402
from pnas.benchmark.runner import run_benchmark, worker_pool  # noqa: E402
from pnas.benchmark.table import BenchmarkTable, TableEvaluator  # noqa: E402
from pnas.benchmark.tuning import DEFAULT_SETTINGS, TUNING_SEED_OFFSET  # noqa: E402
from pnas.search.spaces.nasbench201 import nasbench201_space  # noqa: E402

ROOT = Path(__file__).resolve().parent
BUDGETS = (25, 50, 100, 150)
DEFAULTS = DEFAULT_SETTINGS["progressive"]


def main(argv: list[str] | None = None) -> dict:
    """Run every variant on the development seeds; print a Markdown table and return the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=ROOT.parents[1] / "shared/data/nasbench201/cifar10.csv")
    parser.add_argument("--signal", default="val_acc_12")
    parser.add_argument("--proxies", type=Path, default=ROOT / "data" / "nasbench201_proxies.csv")
    parser.add_argument("--surrogates", default="lstm,forest,blend", help="default: lstm,forest,blend")
    parser.add_argument("--without-proxies", action="store_true", help="only the variants without proxies")
    parser.add_argument("--runs", type=int, default=10, help="development seeds 10000.. (default: 10)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not args.table.is_file():
        raise SystemExit(f"no NAS-Bench-201 table at {args.table}; pass its path with --table")
    data = BenchmarkTable(args.table)
    evaluator, space = TableEvaluator(data, args.signal, args.signal), nasbench201_space(data)
    seeds = list(range(TUNING_SEED_OFFSET, TUNING_SEED_OFFSET + args.runs))
    variants = {
        f"progressive, {surrogate}{' + proxies' if proxies else ''}": (
            "progressive",
            {**DEFAULTS, "surrogate": surrogate, "proxies": str(args.proxies) if proxies else None},
        )
        for surrogate in args.surrogates.split(",")
        for proxies in ((False,) if args.without_proxies else (False, True))
    }
    variants["local search"], variants["REA"] = ("local", {}), ("rea", {})
    rows, figures = [], {}
    with worker_pool(args.workers) as pool:
        for label, (name, settings) in variants.items():
            start = time.perf_counter()
            result = run_benchmark(evaluator, space, [name], BUDGETS, seeds, settings, progress=False, pool=pool)
            curves, times = 100 * result.curves[name], result.times[name]
            means = [mean_se(curves[:, budget - 1]) for budget in BUDGETS]
            figures[label] = {"signal": means, "seconds_at_150": float(np.median(times[:, -1]))}
            cells = [f"{mean:.2f} ± {se:.2f}" for mean, se in means]
            rows.append([label, *cells, f"{np.median(times[:, -1]):.1f}"])
            print(f"{label}: {', '.join(cells)} ({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    headers = ["strategy", *(f"signal % at {budget}" for budget in BUDGETS), "median s per run at 150"]
    print(f"Machine: {machine()}. {args.table.name}, {args.signal}, seeds {seeds[0]}-{seeds[-1]}.\n")
    print(table(headers, rows))
    document = {"machine": machine(), "table": str(args.table), "signal": args.signal, "seeds": seeds}
    document["variants"] = figures
    if args.json:
        args.json.write_text(json.dumps(document, indent=1) + "\n")
    return document


if __name__ == "__main__":
    run_script(main)
