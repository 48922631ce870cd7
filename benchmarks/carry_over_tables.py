"""Carry-over checks: harder versions of a NAS-Bench-201 table, for settings to be tried on before they are trusted.

Writes a copy of ``--table`` with two more columns, each a signal to search with ``pnas benchmark`` (report a real
column, e.g. the column the signal was made from):

- ``<signal>_noisy``: the signal plus Gaussian noise of ``--noise`` points per cell, fixed by ``--seed``, the size
  of NAS-Bench-201's seed-to-seed variation at 12 epochs;
- ``<signal>_misleading``: the signal on every full cell, but the level-1 and level-2 cells (the partial cells
  progressive search evaluates first) take one another's values in a seeded shuffle, so they say nothing about
  which prefixes lead to good full cells, as on a table where short cells rank unlike full ones.

``--without-op OP`` keeps only the cells that do not use ``OP`` (a smaller space over the other 4 operations,
e.g. without ``nor_conv_3x3``, the strongest one), with the two columns added to those.

    python benchmarks/carry_over_tables.py --table ../shared/data/nasbench201/cifar10.csv --signal val_acc_12 \
        --output runs/carry_over.csv [--without-op nor_conv_3x3]

The output is derived data: write it outside the repository (``runs/`` is ignored).
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np

from pnas.search.spaces.nasbench201 import NB201_OPS, NB201Cell, nb201_level_cells


def carry_over_rows(rows: list[dict[str, str]], signal: str, noise: float, seed: int) -> list[dict[str, str]]:
    """``rows`` (a table's CSV rows) with ``<signal>_noisy`` and ``<signal>_misleading`` added."""
    rng = np.random.default_rng(seed)
    partial = {cell.to_arch() for level in (1, 2) for cell in nb201_level_cells(level)}
    shuffled = [index for index, row in enumerate(rows) if row["arch"] in partial]
    donors = [shuffled[int(i)] for i in rng.permutation(len(shuffled))]
    misleading = {index: rows[donor][signal] for index, donor in zip(shuffled, donors, strict=True)}
    out = []
    for index, row in enumerate(rows):
        value = float(row[signal]) if row[signal] not in ("", "nan") else math.nan
        noisy = value + rng.normal(0.0, noise)
        out.append(
            {
                **row,
                f"{signal}_noisy": "" if math.isnan(noisy) else f"{noisy:.4f}",
                f"{signal}_misleading": misleading.get(index, row[signal]),
            }
        )
    return out


def main(argv: list[str] | None = None) -> None:
    """Write the table with its carry-over columns."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, required=True)
    parser.add_argument("--signal", required=True)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--noise", type=float, default=0.3, help="std of the noise, in the signal's units")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--without-op", choices=NB201_OPS, help="keep only the cells that do not use this op")
    args = parser.parse_args(argv)
    with args.table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if args.without_op:
        rows = [row for row in rows if args.without_op not in NB201Cell.from_arch(row["arch"]).edges]
    out = carry_over_rows(rows, args.signal, args.noise, args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, list(out[0]))
        writer.writeheader()
        writer.writerows(out)
    print(f"wrote {args.output}: {args.signal}_noisy and {args.signal}_misleading added to {len(out)} rows")


if __name__ == "__main__":
    main()
