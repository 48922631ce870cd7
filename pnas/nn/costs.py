"""Exact parameter counts and multiply-adds of cell networks for many genotypes at once, without building them.

In a :class:`~pnas.nn.CellNetwork` every cell uses the same genotype, and a cell's output width
(``num_blocks * channels``) does not depend on which operations it uses. So a network's parameters and
multiply-adds are a part that depends only on the number of blocks B (stem, input projections, head) plus one
term per operation and input kind (H[c-2], H[c-1] or a block output) summed over the cells. :class:`CellCosts`
measures those terms once on real modules (``count_macs`` on the meta device) and then costs any number of cells
with array lookups: exactly what ``build_network(...).num_parameters`` and ``count_macs`` give, checked in the
tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from pnas.nn.macs import count_macs
from pnas.nn.network import CellNetwork
from pnas.nn.ops import build_op
from pnas.space import OPS, Cell, one_block_cells
from pnas.space.expansion import expand
from surrogate import CellTokens, encode_cells

__all__ = ["COSTS", "CellCosts"]

#: The costs a :class:`CellCosts` computes, by name.
COSTS = ("params", "macs")
_KINDS = 3  # an op reads H[c-2] (0), H[c-1] (1) or a block output (2)


class CellCosts:
    """Parameters and multiply-adds of ``CellNetwork(cell, num_classes, **network)`` on ``input_size`` images.

    Args:
        num_classes: Logits of the network.
        input_size: ``(channels, height, width)`` of one input image; ``channels`` is the network's ``in_channels``.
        max_blocks: The largest number of blocks the cells to cost may have.
        **network: Further :class:`~pnas.nn.CellNetwork` arguments (``num_cells``, ``filters``, ``stem``, ...).
    """

    def __init__(self, num_classes: int, input_size: Sequence[int], max_blocks: int, **network: Any) -> None:
        self.num_classes, self.input_size, self.network = num_classes, tuple(input_size), dict(network)
        self.network["in_channels"] = self.input_size[0]
        self.network.setdefault("image_size", self.input_size[-1])
        probe = one_block_cells()[0]
        self._per_op = self._op_table(probe)  # (cost, op, kind), summed over the cells
        base = []
        cell: Cell = probe
        for num_blocks in range(1, max_blocks + 1):
            if num_blocks > 1:
                cell = expand(cell)[0]
            whole = self._measure(cell)
            base.append(whole - self._op_sum(np.array([cell.to_tokens()]), np.array([num_blocks]))[0])
        self._base = np.stack(base)  # (B, cost): everything but the operations

    def network_of(self, cell: Cell) -> CellNetwork:
        """The network these costs describe, built with ``cell``."""
        return CellNetwork(cell, self.num_classes, **self.network)

    def _measure(self, cell: Cell) -> np.ndarray:
        network = self.network_of(cell)
        return np.array([network.num_parameters, count_macs(network, self.input_size)], dtype=np.int64)

    def _op_table(self, probe: Cell) -> np.ndarray:
        """Each operation's parameters and multiply-adds for each input kind, summed over the network's cells."""
        network = self.network_of(probe)
        heights: list[int] = []
        hooks = [
            cell.register_forward_hook(lambda module, inputs, output: heights.append(inputs[1].shape[-1]))
            for cell in network.cells
        ]
        count_macs(network, self.input_size)  # records each cell's input size (H[c-1]'s)
        for hook in hooks:
            hook.remove()
        table = np.zeros((len(COSTS), len(OPS), _KINDS), dtype=np.int64)
        for cell, height in zip(network.cells, heights, strict=True):
            channels = cell.out_channels // cell.genotype.num_blocks
            first = cell.preprocess_prev[1].in_channels if cell.preprocess_prev_prev is None else channels
            stride = 2 if cell.reduction else 1
            out_height = (height + 1) // 2 if cell.reduction else height
            contexts = ((first, stride, height), (channels, stride, height), (channels, 1, out_height))
            for kind, (in_channels, op_stride, size) in enumerate(contexts):
                for index, name in enumerate(OPS):
                    op = build_op(name, channels, op_stride, in_channels)
                    params = sum(p.numel() for p in op.parameters())
                    table[:, index, kind] += (params, count_macs(op, (in_channels, size, size)))
        return table

    def _op_sum(self, blocks: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """``(n, cost)`` sums of the operation terms of ``(n, max_blocks, 4)`` token arrays."""
        valid = np.arange(blocks.shape[1])[None, :] < lengths[:, None]
        total = np.zeros((len(lengths), len(COSTS)), dtype=np.int64)
        for input_column, op_column in ((0, 1), (2, 3)):
            kinds = np.minimum(blocks[:, :, input_column], _KINDS - 1)
            terms = self._per_op[:, blocks[:, :, op_column], kinds]  # (cost, n, max_blocks)
            total += np.where(valid[None], terms, 0).sum(axis=2).T
        return total

    def of_tokens(self, tokens: CellTokens) -> dict[str, np.ndarray]:
        """Every cost of every encoded cell: ``{"params": (n,), "macs": (n,)}`` int64 arrays.

        Raises:
            ValueError: A cell has more blocks than ``max_blocks``.
        """
        lengths = np.asarray(tokens.lengths, dtype=np.int64)
        _check_blocks(int(lengths.max()) if lengths.size else 0, len(self._base))
        total = self._base[lengths - 1] + self._op_sum(np.asarray(tokens.blocks, dtype=np.int64), lengths)
        return {name: total[:, column] for column, name in enumerate(COSTS)}

    def upper_bound(self, num_blocks: int) -> dict[str, int]:
        """Costs no cell of ``num_blocks`` blocks exceeds: every operation at its dearest op and input kind."""
        _check_blocks(num_blocks, len(self._base))
        dearest = self._per_op.reshape(len(COSTS), -1).max(axis=1)
        total = self._base[num_blocks - 1] + 2 * num_blocks * dearest
        return {name: int(total[column]) for column, name in enumerate(COSTS)}

    def of_cells(self, cells: Sequence[Cell]) -> dict[str, np.ndarray]:
        """:meth:`of_tokens` of ``cells``."""
        _check_blocks(max((cell.num_blocks for cell in cells), default=0), len(self._base))
        tokens = encode_cells([cell.to_tokens() for cell in cells], len(self._base) + 1, len(OPS))
        return self.of_tokens(tokens)


def _check_blocks(num_blocks: int, max_blocks: int) -> None:
    if num_blocks > max_blocks:
        raise ValueError(f"a cell has {num_blocks} blocks; these costs go up to {max_blocks} (raise max_blocks)")
