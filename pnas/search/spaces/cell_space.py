"""Search spaces as strategies see them: how cells start, grow, are drawn at random, mutated and encoded.

Strategies (progressive search and the baselines) only talk to a :class:`SearchSpace`, so each runs on the PNAS
cell space (:class:`CellSpace`) and on NAS-Bench-201 (:class:`~pnas.search.spaces.nasbench201.NASBench201Space`) alike.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.space import NUM_OPS, OPS, Block, Cell, distinct_blocks, one_block_cells
from surrogate import CellTokens

__all__ = ["CellSpace", "SearchSpace"]


class SearchSpace(ABC):
    """What a strategy needs to know about a space. Subclasses implement every method.

    Attributes:
        num_levels: How many levels cells grow through (blocks for PNAS, nodes for NAS-Bench-201).
        num_inputs: Input vocabulary of the surrogate's block encoding.
        num_ops: Operation vocabulary of the surrogate's block encoding.
    """

    num_levels: int
    num_inputs: int
    num_ops: int

    @abstractmethod
    def initial_cells(self) -> list[Any]:
        """Every level-1 cell, in a fixed order."""
        raise NotImplementedError

    def settings(self) -> dict[str, Any]:
        """JSON-ready description of the space (part of a search's fingerprint)."""
        return {"class": type(self).__qualname__}

    @abstractmethod
    def encode_children(self, beam: Sequence[Any]) -> tuple[CellTokens, Callable[[int], Any]]:
        """All children of ``beam`` (cells of one level) as surrogate tokens, and a function from row to child."""
        raise NotImplementedError

    @abstractmethod
    def tokens(self, cell: Any) -> list[tuple[int, int, int, int]]:
        """``cell`` as surrogate blocks ``(input_1, op_1, input_2, op_2)``."""
        raise NotImplementedError

    def for_surrogate(self, tokens: CellTokens) -> CellTokens:
        """Encoded cells as the surrogate should read them; costs and limits read ``tokens`` as they are.

        A space where different cells compute the same network maps them to one encoding here, so the surrogate
        need not learn that they are alike. The default reads every cell as it is.
        """
        return tokens

    @abstractmethod
    def random_cell(self, rng: np.random.Generator) -> Any:
        """A cell of the last level drawn uniformly at random (per level choice)."""
        raise NotImplementedError

    @abstractmethod
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

    def settings(self) -> dict[str, Any]:
        """The class and the surrogate's input vocabulary (not ``max_blocks``: a resumed search may grow it)."""
        return {"class": type(self).__qualname__, "num_inputs": self.num_inputs}

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
