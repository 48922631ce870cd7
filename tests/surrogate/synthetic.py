"""Synthetic cells and a synthetic accuracy with a known ranking, shared by the surrogate tests."""

from __future__ import annotations

import numpy as np

NUM_INPUTS, NUM_OPS = 6, 8


def random_cells(rng: np.random.Generator, count: int, max_blocks: int) -> list[list[tuple[int, int, int, int]]]:
    """``count`` cells of 1..max_blocks blocks; block ``b`` (from 0) takes inputs 0..b+1."""
    cells = []
    for _ in range(count):
        length = int(rng.integers(1, max_blocks + 1))
        cells.append(
            [
                (
                    int(rng.integers(0, b + 2)),
                    int(rng.integers(NUM_OPS)),
                    int(rng.integers(0, b + 2)),
                    int(rng.integers(NUM_OPS)),
                )
                for b in range(length)
            ]
        )
    return cells


def _qualities(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=NUM_OPS), 0.5 * rng.normal(size=NUM_INPUTS)


def synthetic_accuracy(cells, seed: int = 1) -> np.ndarray:
    """An additive 'accuracy' in [0.6, 0.9]: each op and input has a hidden quality, averaged over the cell."""
    op_quality, input_quality = _qualities(seed)
    scores = [
        np.mean([op_quality[o1] + op_quality[o2] + input_quality[i1] + input_quality[i2] for i1, o1, i2, o2 in cell])
        for cell in cells
    ]
    return 0.6 + 0.3 / (1 + np.exp(-np.array(scores)))


def parameter_count(cells, seed: int = 1) -> np.ndarray:
    """A 'parameter count' that knows part of the truth: the ops' sizes follow their hidden quality, roughly."""
    op_quality, _ = _qualities(seed)
    size = op_quality + np.random.default_rng(seed + 100).normal(scale=0.5, size=NUM_OPS)
    return np.array([np.mean([size[o1] + size[o2] for _, o1, _, o2 in cell]) for cell in cells])
