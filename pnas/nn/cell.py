"""A cell as a module: blocks wired as the genotype says, their outputs concatenated (TF-slim ``NasNetABaseCell``)."""

from __future__ import annotations

import torch
from torch import nn

from pnas.nn.ops import FactorizedReduce, ReLUConvBN, build_op
from pnas.nn.training_aids import DropPath
from pnas.space import Cell

__all__ = ["CellModule"]


class CellModule(nn.Module):
    """One normal (stride 1) or reduction (stride 2) cell built from a genotype.

    The inputs are brought to the cell's shape as in the reference's ``_cell_base``: H[c-1] by ReLU-1x1 conv-BN;
    H[c-2] (``_reduce_prev_layer``) by a factorized reduction when it is twice the spatial size of H[c-1]
    (``prev_reduction``), else by ReLU-1x1 conv-BN when its width differs from ``channels``, else not at all.
    Without an H[c-2] (``prev_prev_channels=None``: the first cell after a stem) the cell reads the unprojected
    H[c-1] in its place. In a reduction cell, ops reading H[c-2] or H[c-1] use stride 2. The output concatenates
    every block's output, ``num_blocks * channels`` maps, as PNASNet-5's ``used_hiddenstates`` does. While
    training, :attr:`drop_path` drops the output of every operation but identity (``_apply_conv_operation``); its
    keep probability is set by the network (1, nothing dropped, until then).

    Args:
        genotype: The cell to build.
        prev_prev_channels: Channels of H[c-2], or ``None`` if the cell has no H[c-2].
        prev_channels: Channels of H[c-1].
        channels: Channels of each block's output.
        reduction: Whether this cell halves the spatial size.
        prev_reduction: Whether H[c-1] is already half the spatial size of H[c-2].
    """

    def __init__(
        self,
        genotype: Cell,
        prev_prev_channels: int | None,
        prev_channels: int,
        channels: int,
        reduction: bool = False,
        prev_reduction: bool = False,
    ) -> None:
        super().__init__()
        self.genotype = genotype
        self.reduction = reduction
        self.preprocess_prev_prev: nn.Module | None = None
        if prev_prev_channels is None:
            input_channels = prev_channels
        elif prev_reduction:
            self.preprocess_prev_prev, input_channels = FactorizedReduce(prev_prev_channels, channels), channels
        elif prev_prev_channels != channels:
            self.preprocess_prev_prev, input_channels = ReLUConvBN(prev_prev_channels, channels), channels
        else:
            self.preprocess_prev_prev, input_channels = nn.Identity(), channels
        self.preprocess_prev = ReLUConvBN(prev_channels, channels)
        self.ops = nn.ModuleList()
        self.inputs: list[tuple[int, int]] = []
        self.dropped: list[bool] = []  # whether drop-path applies to each op's output
        for block in genotype.blocks:
            for index, op in ((block.input_1, block.op_1), (block.input_2, block.op_2)):
                stride = 2 if reduction and index < 2 else 1
                self.ops.append(build_op(op, channels, stride, input_channels if index == 0 else channels))
                self.dropped.append(op != "identity")
            self.inputs.append((block.input_1, block.input_2))
        self.drop_path = DropPath()
        self.out_channels = channels * genotype.num_blocks

    def forward(self, prev_prev: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """Map H[c-2] and H[c-1] to this cell's output (``prev_prev`` is ignored if the cell has no H[c-2])."""
        first = prev if self.preprocess_prev_prev is None else self.preprocess_prev_prev(prev_prev)
        states = [first, self.preprocess_prev(prev)]
        for position, (left, right) in enumerate(self.inputs):
            states.append(
                self._op_output(2 * position, states[left]) + self._op_output(2 * position + 1, states[right])
            )
        return torch.cat(states[2:], dim=1)

    def _op_output(self, op_index: int, x: torch.Tensor) -> torch.Tensor:
        out = self.ops[op_index](x)
        if self.dropped[op_index] and self.training and self.drop_path.keep_prob < 1:  # no module call otherwise
            return self.drop_path(out)
        return out
