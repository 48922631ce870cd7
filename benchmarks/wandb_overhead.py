"""What W&B logging adds to ``make search``'s wall time: the digits search with ``tracking.mode`` offline and disabled.

Each run is ``pnas search --config configs/search/digits.yaml`` in a fresh process and a new run directory, with
``make search``'s portable CPU settings, timed from the start of the process to its end. The two settings alternate
(disabled, offline, disabled, ...); the table shows the median of ``--repeats`` and the ratio of the medians. Both
settings must find the same answer.

Target: offline W&B logging adds at most 5 % to the search's wall time.

    python benchmarks/wandb_overhead.py [--repeats 2] [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import PORTABLE_CPU, machine, median, seconds_table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MODES = ("disabled", "offline")


def search(mode: str, run_dir: Path) -> tuple[float, str]:
    """Run the digits search with W&B ``mode`` into ``run_dir``; its wall seconds and its answer line."""
    command = [sys.executable, "-m", "pnas", "search", "--config", str(ROOT / "configs/search/digits.yaml")]
    command += [f"--run_dir={run_dir}", f"--tracking.mode={mode}", "--progress=false"]
    environment = {**os.environ, **PORTABLE_CPU, "WANDB_SILENT": "true"}
    start = time.perf_counter()
    done = subprocess.run(command, check=True, env=environment, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    if "W&B logging failed" in done.stderr:  # the search went on without W&B: the figure would not count it
        raise SystemExit(f"W&B {mode}: {done.stderr.strip().splitlines()[-1]}")
    answer = next(line for line in done.stdout.splitlines() if line.startswith("best cell"))
    return seconds, answer


def main(argv: list[str] | None = None) -> None:
    """Time both settings, print the table and the verdict, write ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2, help="runs of each setting; the median is reported (2)")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    seconds: dict[str, list[float]] = {mode: [] for mode in MODES}
    answers: dict[str, set[str]] = {mode: set() for mode in MODES}
    with tempfile.TemporaryDirectory(prefix="pnas-wandb-") as folder:
        for repeat in range(args.repeats):
            for mode in MODES:
                took, answer = search(mode, Path(folder) / f"{mode}-{repeat}")
                seconds[mode].append(took)
                answers[mode].add(answer)
                print(f"W&B {mode}: {took:.1f} s", flush=True)
    overhead = median(seconds["offline"]) / median(seconds["disabled"]) - 1
    same = len(answers["offline"] | answers["disabled"]) == 1
    print(f"\nmachine: {machine()}; the digits search of make search, {args.repeats} runs of each")
    print(seconds_table("W&B", seconds))
    print(f"offline W&B logging adds {100 * overhead:+.1f} % (target <= 5 %); same answer: {'yes' if same else 'NO'}")
    if args.json is not None:
        figures = {"machine": machine(), "seconds": seconds, "overhead": overhead, "same_answer": same}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
