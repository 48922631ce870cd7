"""Small synthetic NAS-Bench-201 tables with a known optimum, written as CSV the way the real one is."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from pnas.search.spaces.nasbench201 import NB201_OPS, NB201Cell

#: Hidden quality of each op on each edge: nor_conv_3x3 best everywhere except skip_connect on edge 3 (node 3 <- 0).
OP_QUALITY = {"none": 0.0, "skip_connect": 1.0, "nor_conv_1x1": 2.0, "nor_conv_3x3": 3.0, "avg_pool_3x3": 0.5}
EDGE_WEIGHT = (6.0, 1.0, 5.0, 2.0, 3.0, 4.0)
OPTIMUM_EDGES = ("nor_conv_3x3", "nor_conv_3x3", "nor_conv_3x3", "skip_connect", "nor_conv_3x3", "nor_conv_3x3")


def signal(cell: NB201Cell) -> float:
    """An accuracy in percent: a weighted sum of the live edges' op qualities (an edge that carries nothing to the
    output adds nothing, as in a network), with a skip bonus on edge 3 (the optimum's)."""
    total = sum(w * OP_QUALITY[op] for w, op in zip(EDGE_WEIGHT, cell.live_edges, strict=True))
    bonus = 12.0 if cell.edges[3] == "skip_connect" else 0.0
    return 50.0 + 40.0 * (total + bonus) / (3.0 * sum(EDGE_WEIGHT) + 12.0)


def write_table(path: Path, ops: tuple[str, ...] = NB201_OPS) -> Path:
    """Every cell over ``ops`` with ``val`` (the signal), ``test`` (signal - 1) and ``params_m`` columns."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["index", "arch", "params_m", "val", "test"])
        for index, edges in enumerate(itertools.product(ops, repeat=6)):
            cell = NB201Cell(edges)
            params = 0.1 * sum(op.startswith("nor_conv") for op in edges)
            writer.writerow([index, cell.to_arch(), f"{params:.3f}", f"{signal(cell):.4f}", f"{signal(cell) - 1:.4f}"])
    return path


def optimum(ops: tuple[str, ...] = NB201_OPS) -> NB201Cell:
    """The best cell over ``ops`` (brute force)."""
    return max((NB201Cell(edges) for edges in itertools.product(ops, repeat=6)), key=signal)
