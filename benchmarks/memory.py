"""Resident memory while one process trains 200 tiny candidates back to back. Target: growth under 200 MB.

Each candidate is a random 1-3 block cell trained by the search's own `LightningEvaluator` on the digits for one
epoch of 3 batches. Growth is measured from after the first candidate (imports, data and allocator warm-up done)
to after the last.

    python benchmarks/memory.py [--candidates 200]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import machine, table  # noqa: E402
from expand_beam import random_beam  # noqa: E402

from pnas.data import DigitsDataModule  # noqa: E402
from pnas.module import PNASModule  # noqa: E402
from pnas.search import LightningEvaluator  # noqa: E402


def rss_mb() -> float:
    """Resident set size of this process, in MB."""
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(0)
    cells = [random_beam(1, num_blocks=rng.randint(1, 3), seed=i)[0] for i in range(args.candidates)]
    evaluator = LightningEvaluator(
        PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=8),
        DigitsDataModule(batch_size=64),
        trainer_kwargs={"max_epochs": 1, "limit_train_batches": 3, "limit_val_batches": 1, "accelerator": "cpu"},
    )
    marks = {1, 10, 50, 100, args.candidates}
    rows = []
    for number, cell in enumerate(cells, start=1):
        evaluator.evaluate(cell)
        if number in marks:
            rows.append([number, f"{rss_mb():.0f}"])
    growth = float(rows[-1][1]) - float(rows[0][1])
    print(f"machine: {machine()}")
    print(table(["candidates trained", "RSS MB"], rows))
    print(f"growth from candidate 1 to {args.candidates}: {growth:.0f} MB (target < 200 MB)")


if __name__ == "__main__":
    main()
