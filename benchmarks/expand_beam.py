"""Time enumerating every distinct child of a K=256 beam of 4-block cells: the paper's largest expansion step.

Each 4-block cell has (4+1+1)^2 * 8^2 = 2,304 ordered fifth blocks, so the beam has 589,824 children before
deduplication of symmetric blocks. Target: under 10 s on 2 CPU cores.

    python benchmarks/expand_beam.py [--runs 5] [--beam 256]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, table, timed_runs  # noqa: E402

from pnas.space import OPS, Cell, expand_beam  # noqa: E402


def random_beam(size: int, num_blocks: int, seed: int) -> list[Cell]:
    """``size`` distinct random cells of ``num_blocks`` blocks."""
    rng = random.Random(seed)
    beam: dict[Cell, None] = {}
    while len(beam) < size:
        blocks = [
            (rng.randint(0, b), rng.choice(OPS), rng.randint(0, b), rng.choice(OPS)) for b in range(1, num_blocks + 1)
        ]
        beam[Cell(tuple(blocks))] = None
    return list(beam)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed repetitions (the median is reported)")
    parser.add_argument("--beam", type=int, default=256, help="beam size K")
    args = parser.parse_args()

    beam = random_beam(args.beam, num_blocks=4, seed=0)
    ordered = args.beam * (4 + 2) ** 2 * len(OPS) ** 2
    seconds, children = timed_runs(lambda: expand_beam(beam), args.runs)
    print(f"machine: {machine()}")
    print(
        table(
            ["beam", "ordered children", "distinct children", "runs", "median s", "min s", "max s", "target"],
            [
                [
                    args.beam,
                    f"{ordered:,}",
                    f"{len(children):,}",
                    args.runs,
                    f"{median(seconds):.2f}",
                    f"{min(seconds):.2f}",
                    f"{max(seconds):.2f}",
                    "< 10 s",
                ]
            ],
        )
    )


if __name__ == "__main__":
    main()
