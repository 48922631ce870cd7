"""Enumerating the PNAS space: every distinct block at a position, every 1-block cell, every child of a cell.

The b-th block (1-based) chooses two (input, op) halves from ``b + 1`` inputs and 8 ops, so there are
``(b + 1)^2 * 8^2`` ordered blocks; counting the two halves as unordered leaves ``h * (h + 1) / 2`` distinct ones,
with ``h = 8 * (b + 1)`` (136 for b = 1).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from pnas.space.genotype import Block, Cell
from pnas.space.ops import OPS

__all__ = ["distinct_blocks", "expand", "expand_beam", "num_distinct_blocks", "one_block_cells"]


def num_distinct_blocks(position: int) -> int:
    """How many distinct blocks the ``position``-th block (1-based) of a cell can be."""
    halves = len(OPS) * (position + 1)
    return halves * (halves + 1) // 2


@cache
def distinct_blocks(position: int) -> tuple[Block, ...]:
    """Every distinct canonical block at 1-based ``position``, in a fixed order."""
    if position < 1:
        raise ValueError(f"block positions start at 1, got {position}")
    halves = [(index, op) for index in range(position + 1) for op in OPS]
    return tuple(Block(*halves[i], *halves[j]) for i in range(len(halves)) for j in range(i, len(halves)))


def one_block_cells() -> list[Cell]:
    """All distinct 1-block cells (136 of them)."""
    return [Cell._unchecked((block,)) for block in distinct_blocks(1)]


def expand(cell: Cell) -> list[Cell]:
    """Every distinct child of ``cell``: the cell with one more block appended, in a fixed order."""
    blocks = cell.blocks
    return [Cell._unchecked(blocks + (block,)) for block in distinct_blocks(len(blocks) + 1)]


def expand_beam(beam: Iterable[Cell]) -> list[Cell]:
    """The distinct children of every cell of ``beam``, in beam order, each child once."""
    return list(dict.fromkeys(child for cell in beam for child in expand(cell)))
