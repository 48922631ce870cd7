"""A tiny digits search end to end with workers=1 and workers=2, as a user runs it: the speed-up and the results.

Each run is a fresh ``python`` process running a script with a main guard (the search below, a new run
directory), timed from the start of the process to its end, so worker start-up, imports and data loading all
count. The runs of the two settings alternate (1, 2, 1, 2, ...); the table shows the median of ``--repeats``.
The search must train the same cells to the same accuracies whatever ``workers`` is.

    SearchTrainer(max_epochs=2, accelerator="cpu", deterministic=True, logger=False).search(
        PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=8), DigitsDataModule(),
        ProgressiveSearch(max_blocks=2, beam_size=4, initial_cells=8), execution=Execution(workers=N))

Target on 2 CPU cores: workers=2 at least 1.6x faster than workers=1, with identical candidates and accuracies.

    python benchmarks/workers_search.py [--repeats 3] [--workers 2] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, seconds_table  # noqa: E402

SCRIPT = """
import sys

from pnas.data import DigitsDataModule
from pnas.module import PNASModule
from pnas.search import Execution, ProgressiveSearch, SearchTrainer, Tracking

if __name__ == "__main__":
    SearchTrainer(max_epochs=2, accelerator="cpu", deterministic=True, logger=False).search(
        PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=8),
        DigitsDataModule(),
        ProgressiveSearch(max_blocks=2, beam_size=4, initial_cells=8),
        execution=Execution(workers=int(sys.argv[1])),
        run_dir=sys.argv[2],
        progress=False,
        tracking=Tracking(mode="disabled"),
    )
"""


def candidates(run_dir: Path) -> list[tuple[int, str, float]]:
    """``(step, cell, value)`` of every stored candidate, sorted."""
    connection = sqlite3.connect(f"file:{run_dir / 'search.sqlite'}?mode=ro", uri=True)
    try:
        return sorted(connection.execute("SELECT step, cell, val_acc FROM candidates").fetchall())
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> None:
    """Time the search with each worker count, print the table and the verdict, write ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each setting; the median is reported (3)")
    parser.add_argument("--workers", type=int, default=2, help="the worker count compared with 1 (2)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    environment = {key: value for key, value in os.environ.items() if key not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    counts = (1, args.workers)
    seconds: dict[int, list[float]] = {count: [] for count in counts}
    results: dict[int, list] = {}
    with tempfile.TemporaryDirectory(prefix="pnas-workers-") as folder:
        script = Path(folder) / "search.py"
        script.write_text(SCRIPT)
        for repeat in range(args.repeats):
            for count in counts:
                run_dir = Path(folder) / f"run-{count}-{repeat}"
                start = time.perf_counter()
                subprocess.run(
                    [sys.executable, str(script), str(count), str(run_dir)],
                    check=True,
                    env=environment,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                seconds[count].append(time.perf_counter() - start)
                found = candidates(run_dir)
                if results.setdefault(count, found) != found:
                    raise SystemExit(f"workers={count} gave different results in two runs")
                print(f"workers={count}: {seconds[count][-1]:.1f} s", flush=True)
    ratio = median(seconds[1]) / median(seconds[args.workers])
    same = results[1] == results[args.workers]
    print(f"\nmachine: {machine()}; {len(results[1])} candidates per search, {args.repeats} runs of each")
    print(seconds_table("workers", seconds))
    print(f"workers={args.workers} vs workers=1: {ratio:.2f}x faster (target >= 1.6x on 2 cores)")
    print(f"same cells and accuracies: {'yes' if same else 'NO'}")
    if args.json is not None:
        figures = {"machine": machine(), "seconds": seconds, "ratio": ratio, "same_results": same}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
