"""Time one b=5 step of PNAS at the paper's scale: expand a K=256 beam of 4-block cells, score every child with
the 5-member LSTM ensemble, select the top 256. Target: 30 s or less on 2 CPU cores.

Each 4-block cell has 6^2 * 8^2 = 2,304 ordered fifth blocks (589,824 children for the beam), of which 1,176 are
distinct once symmetric blocks are merged; the step scores the 301,056 distinct children. The surrogate is first
fitted on 904 random cells (136 + 3 * 256, the training data the paper's search has at that point).

    python benchmarks/progressive_step.py [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, median, table, timed_runs  # noqa: E402
from expand_beam import random_beam  # noqa: E402

from pnas.search import ProgressiveSearch  # noqa: E402
from pnas.space import OPS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed repetitions (the median is reported)")
    parser.add_argument("--beam", type=int, default=256, help="beam size K")
    args = parser.parse_args()

    rng = random.Random(0)
    strategy = ProgressiveSearch(max_blocks=5, beam_size=args.beam, surrogate="lstm", seed=0)
    history = [random_beam(1, num_blocks=rng.randint(1, 4), seed=i)[0] for i in range(136 + 3 * args.beam)]
    start = time.perf_counter()
    strategy.surrogate.fit([cell.to_tokens() for cell in history], [rng.uniform(0.5, 0.95) for _ in history])
    fit_seconds = time.perf_counter() - start

    beam = random_beam(args.beam, num_blocks=4, seed=1)
    seconds, (chosen, predicted, scored) = timed_runs(lambda: strategy.rank_children(beam, args.beam), args.runs)
    ordered = args.beam * 6**2 * len(OPS) ** 2
    print(f"machine: {machine()}")
    print(
        table(
            ["step", "ordered children", "scored", "selected", "runs", "median s", "min s", "max s", "target"],
            [
                [
                    "b=5, K=256, LSTM x5",
                    f"{ordered:,}",
                    f"{scored:,}",
                    len(chosen),
                    args.runs,
                    f"{median(seconds):.2f}",
                    f"{min(seconds):.2f}",
                    f"{max(seconds):.2f}",
                    "<= 30 s",
                ]
            ],
        )
    )
    print(f"surrogate fit on {len(history)} cells: {fit_seconds:.1f} s (once)")


if __name__ == "__main__":
    main()
