"""Time progressive search's tuning with and without shared surrogate fits, side by side; the scores must be equal.

Tuning runs every configuration of the progressive grid on the same seeds; configurations that climb differently
make the same surrogate fits until their searches part, and with shared fits each is made once
(:func:`pnas.benchmark.fit_cache.share_fits`). Run alone: two single-threaded worker processes, as
``make nasbench201`` tunes.

    python benchmarks/tuning_fits.py [--table ../shared/data/nasbench201/cifar10.csv] [--signal val_acc_12] \\
        [--tune-runs 5] [--repeats 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, table  # noqa: E402

from pnas.benchmark.nb201_table import nasbench201_space  # noqa: E402
from pnas.benchmark.runner import worker_pool  # noqa: E402
from pnas.benchmark.table import BenchmarkTable  # noqa: E402
from pnas.benchmark.tuning import tune, tuning_seeds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=ROOT.parent / "shared/data/nasbench201/cifar10.csv")
    parser.add_argument("--signal", default="val_acc_12")
    parser.add_argument("--tune-runs", type=int, default=5, help="tuning seeds per configuration")
    parser.add_argument("--repeats", type=int, default=1, help="pairs of tunings, alternating")
    parser.add_argument("--budgets", default="25,50,100,150")
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args(argv)
    if not options.table.exists():
        print(f"no table at {options.table}: pass one with --table")
        return {}
    bench = BenchmarkTable(options.table)
    space, budgets = nasbench201_space(bench), [int(value) for value in options.budgets.split(",")]
    seconds: dict[str, list[float]] = {"each fit made": [], "fits shared": []}
    scores: dict[str, list[float]] = {}
    with worker_pool(options.workers) as pool:
        for _ in range(options.repeats):
            for label, share in (("each fit made", False), ("fits shared", True)):
                start = time.perf_counter()
                record = tune(bench, options.signal, space, ["progressive"], budgets, tuning_seeds(options.tune_runs),
                              progress=False, pool=pool, share_surrogate_fits=share)  # fmt: skip
                seconds[label].append(time.perf_counter() - start)
                scores[label] = record.scores["progressive"]
    if scores["each fit made"] != scores["fits shared"]:
        raise SystemExit(f"the scores differ: {scores}")
    print(f"machine: {machine()}; {options.table.name}, {options.signal}, {options.tune_runs} tuning seeds")
    rows = [[label, len(values), f"{median(values):.1f}"] for label, values in seconds.items()]
    print(table(["progressive tuning", "runs", "median s"], rows))
    ratio = median(seconds["each fit made"]) / median(seconds["fits shared"])
    print(f"shared fits: {ratio:.2f}x faster; the same scores {scores['fits shared']}")
    return seconds


if __name__ == "__main__":
    main()
