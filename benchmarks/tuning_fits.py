"""Time progressive search's tuning with and without shared surrogate fits, side by side; the scores must be equal.

Tuning runs every configuration of the progressive grid on the same seeds; configurations that climb differently
make the same surrogate fits until their searches part, and with shared fits each is made once
(:func:`pnas.benchmark.fit_cache.share_fits`). Run alone: two single-threaded worker processes, as
``make nasbench201`` tunes. Each pair of tunings runs in the other order than the one before, on workers started
before any timing.

    python benchmarks/tuning_fits.py [--table ../shared/data/nasbench201/cifar10.csv] [--signal val_acc_12] \\
        [--tune-runs 5] [--repeats 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, table  # noqa: E402

from pnas.benchmark.nb201_table import nasbench201_space  # noqa: E402
from pnas.benchmark.runner import best_so_far, worker_pool  # noqa: E402
from pnas.benchmark.table import BenchmarkTable  # noqa: E402
from pnas.benchmark.tuning import tune, tuning_seeds  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> dict[str, list[float]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=ROOT.parent / "shared/data/nasbench201/cifar10.csv")
    parser.add_argument("--signal", default="val_acc_12")
    parser.add_argument("--tune-runs", type=int, default=5, help="tuning seeds per configuration")
    parser.add_argument("--repeats", type=int, default=2, help="pairs of tunings, each pair in the other order")
    parser.add_argument("--budgets", default="25,50,100,150")
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args(argv)
    if not options.table.exists():
        print(f"no table at {options.table}: pass one with --table")
        return {}
    bench = BenchmarkTable(options.table)
    space, budgets = nasbench201_space(bench), [int(value) for value in options.budgets.split(",")]
    seconds: dict[str, list[float]] = {"each fit made": [], "fits shared": []}
    scores: list[list[float]] = []
    pair = [("each fit made", False), ("fits shared", True)]
    with worker_pool(options.workers) as pool:
        if pool is not None:
            list(pool.map(best_so_far, [[]] * 2 * options.workers, [1] * 2 * options.workers))  # started, not timed
        for repeat in range(options.repeats):
            for label, share in pair if repeat % 2 == 0 else pair[::-1]:
                start = time.perf_counter()
                record = tune(bench, options.signal, space, ["progressive"], budgets, tuning_seeds(options.tune_runs),
                              progress=False, pool=pool, share_surrogate_fits=share)  # fmt: skip
                seconds[label].append(time.perf_counter() - start)
                scores.append(record.scores["progressive"])
    if any(other != scores[0] for other in scores):
        raise SystemExit(f"the scores differ: {scores}")
    print(f"machine: {machine()}; {options.table.name}, {options.signal}, {options.tune_runs} tuning seeds")
    rows = [[label, len(values), f"{median(values):.1f}"] for label, values in seconds.items()]
    print(table(["progressive tuning", "runs", "median s"], rows))
    ratio = median(seconds["each fit made"]) / median(seconds["fits shared"])
    print(f"shared fits: {ratio:.2f}x faster; the same scores {scores[0]}")
    return seconds


if __name__ == "__main__":
    main()
