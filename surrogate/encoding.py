"""Turning cells (sequences of integer blocks) into padded token arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["CellTokens", "encode_cells"]

#: A cell: a sequence of blocks ``(input_1, op_1, input_2, op_2)`` of non-negative ints.
CellLike = Sequence[Sequence[int]]


class CellTokens:
    """Cells as a padded array of blocks plus their lengths.

    Attributes:
        blocks: ``(n, max_blocks, 4)`` int64 array of ``(input_1, op_1, input_2, op_2)``, zero-padded.
        lengths: ``(n,)`` number of blocks of each cell.
    """

    def __init__(self, blocks: np.ndarray, lengths: np.ndarray) -> None:
        self.blocks, self.lengths = blocks, lengths

    def __len__(self) -> int:
        return len(self.lengths)


def encode_cells(cells: Sequence[CellLike] | CellTokens, num_inputs: int, num_ops: int) -> CellTokens:
    """Validate and pad ``cells``.

    Args:
        cells: Sequences of blocks ``(input_1, op_1, input_2, op_2)``, of any lengths >= 1.
        num_inputs: Size of the input vocabulary: inputs must be in ``0 .. num_inputs - 1``.
        num_ops: Size of the operation vocabulary.

    Raises:
        ValueError: A cell is empty, a block does not have 4 entries, or a token is outside its vocabulary.
    """
    if isinstance(cells, CellTokens):
        tokens = cells
    else:
        if len(cells) == 0:
            raise ValueError("no cells given")
        lengths = np.array([len(cell) for cell in cells], dtype=np.int64)
        if lengths.min() < 1:
            raise ValueError(f"cell {int(np.argmin(lengths))} has no blocks")
        blocks = np.zeros((len(cells), int(lengths.max()), 4), dtype=np.int64)
        for row, cell in enumerate(cells):
            try:
                blocks[row, : len(cell)] = cell
            except ValueError:
                raise ValueError(f"cell {row}: every block must be 4 integers (input_1, op_1, input_2, op_2)") from None
        tokens = CellTokens(blocks, lengths)
    mask = np.arange(tokens.blocks.shape[1])[None, :] < tokens.lengths[:, None]
    inputs, ops = tokens.blocks[..., [0, 2]][mask], tokens.blocks[..., [1, 3]][mask]
    if inputs.size and (inputs.min() < 0 or inputs.max() >= num_inputs):
        raise ValueError(f"block inputs must be in 0..{num_inputs - 1}, found {inputs.min()}..{inputs.max()}")
    if ops.size and (ops.min() < 0 or ops.max() >= num_ops):
        raise ValueError(f"block ops must be in 0..{num_ops - 1}, found {ops.min()}..{ops.max()}")
    return tokens
