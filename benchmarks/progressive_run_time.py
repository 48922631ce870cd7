"""Time progressive-search runs of 150 evaluations with the default LSTM and with its linear head, side by side.

The time of ``make nasbench201`` is nearly all the progressive runs' surrogate fits, and a shared machine's speed can
drift from day to day by as much as two settings differ, so a setting's cost is measured against a baseline in the
same run: here the default LSTM (its head widened from 40 cells on) against the paper's linear head
at every fit. Each seed runs both, in alternating order, in one process on one thread (as one of ``make
nasbench201``'s two workers does); the development seeds 10000+ and the tuned defaults (``pnas benchmark
--no-tune``). The best signal each run reaches is printed beside its time.

    python benchmarks/progressive_run_time.py [--table ../shared/data/nasbench201/cifar10.csv] [--seeds 6] \\
        [--budget 150]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, run_script, table  # noqa: E402

from pnas.benchmark.nb201_table import nasbench201_space  # noqa: E402
from pnas.benchmark.runner import run_strategy  # noqa: E402
from pnas.benchmark.strategies import make_strategy  # noqa: E402
from pnas.benchmark.table import BenchmarkTable, TableEvaluator  # noqa: E402
from pnas.benchmark.tuning import DEFAULT_SETTINGS, TUNING_SEED_OFFSET  # noqa: E402
from surrogate import LSTMSurrogate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: Label -> the LSTM's settings laid over its defaults.
HEADS = {"default (wide head from 40 cells)": {}, "linear head": {"head_hidden": 0}}


def main(argv: list[str] | None = None) -> dict[str, dict[str, list[float]]]:
    """Run both heads on each seed; return each head's ``seconds`` and ``best`` signal per run (empty: no table)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=ROOT.parent / "shared/data/nasbench201/cifar10.csv")
    parser.add_argument("--signal", default="val_acc_12")
    parser.add_argument("--seeds", type=int, default=6, help="development seeds, each run with both heads")
    parser.add_argument("--budget", type=int, default=150, help="evaluations per run")
    options = parser.parse_args(argv)
    if not options.table.exists():
        print(f"no table at {options.table}: pass one with --table")
        return {}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        seconds, best = _time_both_heads(options)
    finally:
        torch.set_num_threads(threads)
    labels = list(HEADS)
    print(f"machine: {machine()}; {options.table.name}, {options.signal}, {options.budget} evaluations, one thread")
    rows = [
        [label, len(values), f"{median(values):.1f}", f"{min(values):.1f}", f"{sum(best[label]) / len(values):.4f}"]
        for label, values in seconds.items()
    ]
    print(table(["LSTM", "runs", "median s", "min s", f"mean best {options.signal}"], rows))
    ratio = median(seconds[labels[0]]) / median(seconds[labels[1]])
    print(f"the default takes {ratio:.2f}x the linear head's time")
    return {"seconds": seconds, "best": best}


def _time_both_heads(options: argparse.Namespace) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Each head's seconds and best signal per run, the heads alternating in order from seed to seed."""
    bench = BenchmarkTable(options.table)
    space = nasbench201_space(bench)
    evaluator = TableEvaluator(bench, options.signal, options.signal)
    seconds: dict[str, list[float]] = {label: [] for label in HEADS}
    best: dict[str, list[float]] = {label: [] for label in HEADS}
    labels = list(HEADS)
    for index in range(options.seeds):
        seed = TUNING_SEED_OFFSET + index
        for label in labels if index % 2 == 0 else labels[::-1]:
            settings = dict(DEFAULT_SETTINGS["progressive"])
            settings["surrogate"] = LSTMSurrogate(space.num_inputs, space.num_ops, seed=seed, **HEADS[label])
            strategy = make_strategy("progressive", space, options.budget, seed, None, **settings)
            start = time.perf_counter()
            trajectory = run_strategy(strategy, evaluator, options.budget)
            seconds[label].append(time.perf_counter() - start)
            best[label].append(max(entry.signal for entry in trajectory))
            print(f"seed {seed}, {label}: {seconds[label][-1]:.1f} s, best {options.signal} {best[label][-1]:.4f}")
    return seconds, best


if __name__ == "__main__":
    run_script(main)
