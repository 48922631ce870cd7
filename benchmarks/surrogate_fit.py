"""Time fitting the 5-member LSTM ensemble (the default surrogate) on 400 cells. Target: <= 1 s on 2 CPU cores.

Two kinds of cells: NAS-Bench-201 cells as the search encodes them (6 edge blocks, vocabularies 4 inputs / 5 ops)
and PNAS cells of 5 blocks (16 inputs / 8 ops), each with random accuracies; a fit costs the same whatever the
targets. Also times the MLP ensemble on the same cells, and predicting 15,625 distinct cells (every NB201 cell).

    python benchmarks/surrogate_fit.py [--runs 5] [--cells 400]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, table, timed_runs  # noqa: E402
from expand_beam import random_beam  # noqa: E402

from pnas.search.spaces.cell_space import CellSpace  # noqa: E402
from pnas.search.spaces.nasbench201 import (
    NASBench201Space,
    nb201_level_cells,  # noqa: E402
)
from surrogate import SURROGATES  # noqa: E402


def _cells(kind: str, count: int, rng: random.Random) -> tuple[list, int, int]:
    """``count`` random distinct cells of ``kind`` as tokens, and the vocabulary sizes."""
    if kind == "nasbench201":
        space = NASBench201Space()
        cells = nb201_level_cells(3)
        return [space.tokens(cells[i]) for i in rng.sample(range(len(cells)), count)], space.num_inputs, space.num_ops
    space = CellSpace(5)
    drawn = (cell for _ in range(count) for cell in random_beam(1, num_blocks=5, seed=rng.randrange(10**9)))
    distinct = list(dict.fromkeys(drawn))  # in drawing order, the same in every process
    return [cell.to_tokens() for cell in distinct], space.num_inputs, space.num_ops


def _time_fits(
    name: str, num_inputs: int, num_ops: int, cells: list, fitted: int, runs: int
) -> tuple[list[float], float]:
    """Seconds of each of ``runs`` fits on the first ``fitted`` cells, and the median seconds to predict them all."""
    rng = random.Random(1)
    targets = [rng.uniform(0.5, 0.95) for _ in range(fitted)]
    SURROGATES[name](num_inputs, num_ops, steps=2).fit(cells[:20], targets[:20])  # warm-up
    seeds = iter(range(runs))
    surrogate = SURROGATES[name]
    train = cells[:fitted]
    seconds, model = timed_runs(lambda: surrogate(num_inputs, num_ops, seed=next(seeds)).fit(train, targets), runs)
    predict, _ = timed_runs(lambda: model.predict(cells), 3)
    return seconds, median(predict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed fits per row (the median is reported)")
    parser.add_argument("--cells", type=int, default=400, help="cells fitted on")
    args = parser.parse_args()
    rng = random.Random(0)
    rows = []
    for kind in ("nasbench201", "pnas B=5"):
        cells, num_inputs, num_ops = _cells(kind, 15625, rng)
        for name in ("lstm", "mlp"):
            seconds, predict = _time_fits(name, num_inputs, num_ops, cells, args.cells, args.runs)
            spread = [f"{median(seconds):.2f}", f"{min(seconds):.2f}", f"{max(seconds):.2f}"]
            target = "<= 1 s" if name == "lstm" else ""
            label = f"{kind} ({len(cells):,} cells)"
            rows.append([label, f"{name} x5", args.cells, args.runs, *spread, f"{predict:.2f}", target])
    print(f"machine: {machine()}")
    headers = ["cells", "surrogate", "fitted on", "runs", "median fit s", "min s", "max s", "predict all s"]
    print(table([*headers, "target"], rows))


if __name__ == "__main__":
    main()
