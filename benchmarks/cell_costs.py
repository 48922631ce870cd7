"""Time the exact parameter count and multiply-adds of every child of a K=256 beam of 4-block cells.

The children (301,056 distinct 5-block cells) are encoded as the search encodes them for the surrogate
(``CellSpace.encode_children``), then costed by :class:`pnas.nn.costs.CellCosts` for the paper's search network
(N=2, F=24, CIFAR-10's 32x32 images). Setting the cost model up (measuring each operation on real modules) is timed
apart from costing the children. A sample of children is checked against ``build_network`` and ``count_macs``.
Target: <= 30 s for all children on 2 CPU cores.

    python benchmarks/cell_costs.py [--runs 5] [--beam 256] [--check 20]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, table, timed_runs  # noqa: E402
from expand_beam import random_beam  # noqa: E402

from pnas.nn import build_network, count_macs  # noqa: E402
from pnas.nn.costs import CellCosts  # noqa: E402
from pnas.search.spaces.cell_space import CellSpace  # noqa: E402

NETWORK = {"num_cells": 2, "filters": 24}
INPUT_SIZE = (3, 32, 32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed repetitions (the median is reported)")
    parser.add_argument("--beam", type=int, default=256, help="beam size K")
    parser.add_argument("--check", type=int, default=20, help="children checked against built networks")
    args = parser.parse_args()

    beam = random_beam(args.beam, num_blocks=4, seed=0)
    tokens, child_at = CellSpace(5).encode_children(beam)
    setup_seconds, costs = timed_runs(lambda: CellCosts(10, INPUT_SIZE, 5, **NETWORK), args.runs)
    cost_seconds, result = timed_runs(lambda: costs.of_tokens(tokens), args.runs)
    step = max(1, len(tokens) // max(args.check, 1))
    mismatches = 0
    for row in range(0, len(tokens), step)[: args.check]:
        network = build_network(child_at(row), 10, **NETWORK)
        exact = (network.num_parameters, count_macs(network, INPUT_SIZE))
        mismatches += exact != (int(result["params"][row]), int(result["macs"][row]))
    print(f"machine: {machine()}")
    print(
        table(
            ["children", "set-up median s", "costing median s", "runs", "checked", "mismatches", "target"],
            [
                [
                    f"{len(tokens):,}",
                    f"{median(setup_seconds):.2f}",
                    f"{median(cost_seconds):.2f}",
                    args.runs,
                    min(args.check, len(range(0, len(tokens), step))),
                    mismatches,
                    "<= 30 s",
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
