"""What successive halving saves on a digits search, and what it costs in the answer, over several seeds.

For each seed, the digits search of ``configs/search/digits.yaml`` runs twice in fresh processes with ``make
search``'s portable CPU settings and W&B off: with ``--pruner none`` and with ``--pruner successive_halving``. The
table gives, per seed, the candidate-epochs each trained (the epochs of every candidate's monitored curve, from the
store), their ratio, the answers' validation accuracy and the wall seconds.

Targets: the pruned search trains at most 60 % of the unpruned one's candidate-epochs, and its answer's validation
accuracy is within 0.5 points of the unpruned answer's in at least 4 of 5 seeds.

    python benchmarks/pruning.py [--seeds 0,1,2,3,4] [--search-args "--strategy.max_blocks=2 ..."]
        [--pruner-args "--pruner SuccessiveHalving --pruner.reduction 2"] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import PORTABLE_CPU, machine, table  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRUNERS = ("none", "successive_halving")
#: The search of every run: make search's config, cut to two levels so that five seeds of both run in minutes.
DEFAULT_SEARCH_ARGS = "--strategy.max_blocks=2 --strategy.initial_cells=16"
#: The pruned searches' pruner: successive halving at its defaults.
DEFAULT_PRUNER_ARGS = "--pruner=successive_halving"


def search(pruner: list[str], seed: int, run_dir: Path, extra: list[str]) -> dict[str, float]:
    """One digits search with the ``pruner`` arguments; its wall seconds, candidate-epochs and answer's value."""
    command = [sys.executable, "-m", "pnas", "search", "--config", str(ROOT / "configs/search/digits.yaml")]
    command += [f"--run_dir={run_dir}", *pruner, f"--seed={seed}", f"--strategy.seed={seed}"]
    command += ["--tracking.mode=disabled", "--progress=false", *extra]
    start = time.perf_counter()
    environment = {**os.environ, **PORTABLE_CPU}
    subprocess.run(command, check=True, env=environment, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - start
    result = json.loads((run_dir / "result.json").read_text())
    connection = sqlite3.connect(f"file:{run_dir / 'search.sqlite'}?mode=ro", uri=True)
    try:
        histories = [json.loads(row[0]) for row in connection.execute("SELECT history FROM candidates")]
    finally:
        connection.close()
    epochs = sum(len(history.get(result["monitor"], [])) for history in histories)
    return {"seconds": seconds, "candidate_epochs": epochs, "best_value": result["best_value"]}


def main(argv: list[str] | None = None) -> dict:
    """Run both settings for every seed, print the table and the verdict, write ``--json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated search seeds (0,1,2,3,4)")
    parser.add_argument("--search-args", default=DEFAULT_SEARCH_ARGS, help="further pnas search arguments")
    parser.add_argument(
        "--pruner-args",
        default=DEFAULT_PRUNER_ARGS,
        help=f"the pruned searches' pruner arguments (default: {DEFAULT_PRUNER_ARGS})",
    )
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    seeds, extra = [int(seed) for seed in args.seeds.split(",")], shlex.split(args.search_args)
    pruner_args = {"none": ["--pruner=none"], "successive_halving": shlex.split(args.pruner_args)}
    runs: dict[str, dict[int, dict[str, float]]] = {pruner: {} for pruner in PRUNERS}
    with tempfile.TemporaryDirectory(prefix="pnas-pruning-") as folder:
        for seed in seeds:
            for pruner in PRUNERS:
                runs[pruner][seed] = search(pruner_args[pruner], seed, Path(folder) / f"{pruner}-{seed}", extra)
                print(f"seed {seed}, {pruner}: {runs[pruner][seed]}", flush=True)
    rows, close = [], 0
    for seed in seeds:
        full, pruned = runs["none"][seed], runs["successive_halving"][seed]
        share = pruned["candidate_epochs"] / full["candidate_epochs"]
        gap = 100 * (pruned["best_value"] - full["best_value"])
        close += abs(gap) <= 0.5
        rows.append(
            [seed, full["candidate_epochs"], pruned["candidate_epochs"], f"{100 * share:.0f} %",
             f"{100 * full['best_value']:.2f}", f"{100 * pruned['best_value']:.2f}", f"{gap:+.2f}",
             f"{full['seconds']:.0f}", f"{pruned['seconds']:.0f}"]
        )  # fmt: skip
    headers = ["seed", "epochs, none", "epochs, halving", "share", "val % none", "val % halving", "gap"]
    print(f"\nmachine: {machine()}; pnas search --config configs/search/digits.yaml {args.search_args}")
    print(f"pruned with: {args.pruner_args}")
    print(table([*headers, "s none", "s halving"], rows))
    shares = [runs["successive_halving"][s]["candidate_epochs"] / runs["none"][s]["candidate_epochs"] for s in seeds]
    print(f"candidate-epochs: at most {100 * max(shares):.0f} % of the unpruned search's (target <= 60 %)")
    print(f"answers within 0.5 points: {close} of {len(seeds)} seeds (target: 4 of 5)")
    figures = {"machine": machine(), "search_args": args.search_args, "pruner_args": args.pruner_args, "runs": runs}
    figures["within_half_point"] = close
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
