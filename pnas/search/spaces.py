"""Search spaces as strategies see them: how cells start, grow, are drawn at random, mutated and encoded.

Strategies (progressive search and the baselines) only talk to a :class:`SearchSpace`, so each runs on the PNAS
cell space (:class:`CellSpace`) and on NAS-Bench-201 (:class:`NASBench201Space`) alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.space import NUM_OPS, OPS, Block, Cell, distinct_blocks, one_block_cells
from pnas.space.nasbench201 import NB201_OPS, NB201Cell, nb201_level_cells
from surrogate import CellTokens, encode_cells

__all__ = ["CellSpace", "NASBench201Space", "SearchSpace"]


class SearchSpace:
    """What a strategy needs to know about a space. Subclasses implement every method.

    Attributes:
        num_levels: How many levels cells grow through (blocks for PNAS, nodes for NAS-Bench-201).
        num_inputs: Input vocabulary of the surrogate's block encoding.
        num_ops: Operation vocabulary of the surrogate's block encoding.
    """

    num_levels: int
    num_inputs: int
    num_ops: int

    def initial_cells(self) -> list[Any]:
        """Every level-1 cell, in a fixed order."""
        raise NotImplementedError

    def encode_children(self, beam: Sequence[Any]) -> tuple[CellTokens, Callable[[int], Any]]:
        """All children of ``beam`` (cells of one level) as surrogate tokens, and a function from row to child."""
        raise NotImplementedError

    def tokens(self, cell: Any) -> list[tuple[int, int, int, int]]:
        """``cell`` as surrogate blocks ``(input_1, op_1, input_2, op_2)``."""
        raise NotImplementedError

    def random_cell(self, rng: np.random.Generator) -> Any:
        """A cell of the last level drawn uniformly at random (per level choice)."""
        raise NotImplementedError

    def neighbours(self, cell: Any) -> list[Any]:
        """Every cell that differs from the last-level ``cell`` in one choice (one op or one input)."""
        raise NotImplementedError


class CellSpace(SearchSpace):
    """The PNAS space of cells with ``max_blocks`` blocks, grown one block per level.

    Args:
        max_blocks: B, the number of blocks of the final cells.
        num_inputs: The surrogate's input vocabulary (at least ``max_blocks + 1``); a fixed size lets a resumed
            search with a larger B refit the very same surrogate.
    """

    def __init__(self, max_blocks: int = 3, num_inputs: int = 16) -> None:
        if max_blocks < 1:
            raise ConfigError(f"max_blocks must be >= 1, got {max_blocks}")
        self.num_levels, self.num_inputs, self.num_ops = max_blocks, max(num_inputs, max_blocks + 1), NUM_OPS

    def initial_cells(self) -> list[Cell]:
        """The 136 distinct 1-block cells."""
        return one_block_cells()

    def encode_children(self, beam: Sequence[Cell]) -> tuple[CellTokens, Callable[[int], Cell]]:
        """Each parent's tokens repeated once per distinct next block; a ``Cell`` is built only for rows asked for.

        Raises:
            ValueError: The beam cells differ in number of blocks.
        """
        position = beam[0].num_blocks + 1
        if any(cell.num_blocks + 1 != position for cell in beam):
            raise ValueError("every beam cell must have the same number of blocks")
        new_blocks = distinct_blocks(position)
        parent_tokens = np.array([cell.to_tokens() for cell in beam], dtype=np.int64)  # (K, b-1, 4)
        block_tokens = np.array([block.as_tokens() for block in new_blocks], dtype=np.int64)  # (D, 4)
        per_parent = len(new_blocks)
        children = np.concatenate(
            [np.repeat(parent_tokens, per_parent, axis=0), np.tile(block_tokens, (len(beam), 1))[:, None]], axis=1
        )
        tokens = CellTokens(children, np.full(len(children), position, dtype=np.int64))

        def child(row: int) -> Cell:
            return Cell(beam[row // per_parent].blocks + (new_blocks[row % per_parent],))

        return tokens, child

    def tokens(self, cell: Cell) -> list[tuple[int, int, int, int]]:
        """The cell's blocks as integers."""
        return cell.to_tokens()

    def random_cell(self, rng: np.random.Generator) -> Cell:
        """``max_blocks`` blocks, each uniform over the distinct blocks of its position."""
        blocks = []
        for position in range(1, self.num_levels + 1):
            choices = distinct_blocks(position)
            blocks.append(choices[int(rng.integers(len(choices)))])
        return Cell(tuple(blocks))

    def neighbours(self, cell: Cell) -> list[Cell]:
        """Cells with one input or one op of one block changed (duplicates by symmetry removed)."""
        found: dict[Cell, None] = {}
        for position, block in enumerate(cell.blocks, start=1):
            values = list(block.as_tuple())
            for slot, options in ((0, range(position + 1)), (1, OPS), (2, range(position + 1)), (3, OPS)):
                for option in options:
                    if option == values[slot]:
                        continue
                    changed = Block(*(option if i == slot else v for i, v in enumerate(values)))
                    neighbour = Cell(cell.blocks[: position - 1] + (changed,) + cell.blocks[position:])
                    if neighbour != cell:
                        found[neighbour] = None
        return list(found)


class NASBench201Space(SearchSpace):
    """The NAS-Bench-201 cell space, grown node by node (:mod:`pnas.space.nasbench201`).

    The surrogate reads each cell as the 6 edges of the architecture it realises, so partial and full cells are
    encoded alike.

    Args:
        ops: The operations chosen edges may take (default all 5; a benchmark table may cover fewer). Partial cells
            pass through with ``none`` and ``skip_connect`` whatever the choice.

    Raises:
        ConfigError: An op is not an NB201 operation.
    """

    num_levels, num_inputs, num_ops = 3, 4, len(NB201_OPS)

    def __init__(self, ops: Sequence[str] = NB201_OPS) -> None:
        unknown = [op for op in ops if op not in NB201_OPS]
        if unknown or not ops:
            raise ConfigError(f"NB201 ops must be a non-empty subset of {', '.join(NB201_OPS)}; got {list(ops)}")
        self.ops = tuple(op for op in NB201_OPS if op in ops)

    def initial_cells(self) -> list[NB201Cell]:
        """The level-1 cells (5 with all ops)."""
        return nb201_level_cells(1, self.ops)

    def encode_children(self, beam: Sequence[NB201Cell]) -> tuple[CellTokens, Callable[[int], NB201Cell]]:
        """Every child of every beam cell (25 or 125 each with all ops), encoded."""
        children = [child for cell in beam for child in cell.children(self.ops)]
        return encode_cells(
            [child.to_tokens() for child in children], self.num_inputs, self.num_ops
        ), children.__getitem__

    def tokens(self, cell: NB201Cell) -> list[tuple[int, int, int, int]]:
        """The realised cell's 6 edges as blocks."""
        return cell.to_tokens()

    def random_cell(self, rng: np.random.Generator) -> NB201Cell:
        """6 ops drawn uniformly."""
        return NB201Cell(tuple(self.ops[int(i)] for i in rng.integers(len(self.ops), size=6)))

    def neighbours(self, cell: NB201Cell) -> list[NB201Cell]:
        """The cells with one edge's op changed (24 with all ops)."""
        return [
            NB201Cell(cell.edges[:edge] + (op,) + cell.edges[edge + 1 :])
            for edge in range(len(cell.edges))
            for op in self.ops
            if op != cell.edges[edge]
        ]
