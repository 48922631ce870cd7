"""A cell as a module: blocks wired as the genotype says, their outputs concatenated."""

from __future__ import annotations

import torch
from torch import nn

from pnas.nn.ops import FactorizedReduce, ReLUConvBN, build_op
from pnas.space import Cell

__all__ = ["CellModule"]


class CellModule(nn.Module):
    """One normal (stride 1) or reduction (stride 2) cell built from a genotype.

    H[c-2] and H[c-1] are first projected to ``channels`` maps (H[c-2] also halved in size when the previous cell
    was a reduction cell). In a reduction cell, ops reading H[c-2] or H[c-1] use stride 2. The output concatenates
    every block's output: ``num_blocks * channels`` maps.

    Args:
        genotype: The cell to build.
        prev_prev_channels: Channels of H[c-2].
        prev_channels: Channels of H[c-1].
        channels: Channels of each block's output.
        reduction: Whether this cell halves the spatial size.
        prev_reduction: Whether H[c-1] is already half the spatial size of H[c-2].
    """

    def __init__(
        self,
        genotype: Cell,
        prev_prev_channels: int,
        prev_channels: int,
        channels: int,
        reduction: bool = False,
        prev_reduction: bool = False,
    ) -> None:
        super().__init__()
        self.genotype = genotype
        self.reduction = reduction
        if prev_reduction:
            self.preprocess_prev_prev: nn.Module = FactorizedReduce(prev_prev_channels, channels)
        else:
            self.preprocess_prev_prev = ReLUConvBN(prev_prev_channels, channels)
        self.preprocess_prev = ReLUConvBN(prev_channels, channels)
        self.ops = nn.ModuleList()
        self.inputs: list[tuple[int, int]] = []
        for block in genotype.blocks:
            for index, op in ((block.input_1, block.op_1), (block.input_2, block.op_2)):
                stride = 2 if reduction and index < 2 else 1
                self.ops.append(build_op(op, channels, stride))
            self.inputs.append((block.input_1, block.input_2))
        self.out_channels = channels * genotype.num_blocks

    def forward(self, prev_prev: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """Map H[c-2] and H[c-1] to this cell's output."""
        states = [self.preprocess_prev_prev(prev_prev), self.preprocess_prev(prev)]
        for position, (first, second) in enumerate(self.inputs):
            states.append(self.ops[2 * position](states[first]) + self.ops[2 * position + 1](states[second]))
        return torch.cat(states[2:], dim=1)
