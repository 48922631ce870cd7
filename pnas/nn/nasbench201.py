"""The NAS-Bench-201 network: a stem, three stages of NB201 cells, residual reductions between them.

As the benchmark defines it: a 3x3 conv-BN stem to ``channels`` maps; ``cells_per_stage`` cells at ``channels``,
a residual reduction block to ``2 * channels``, as many cells, a reduction to ``4 * channels``, as many cells;
then BN-ReLU, global average pooling and a linear classifier. A cell has 4 nodes; node j (1..3) sums one
operation applied to every earlier node, node 3 is the output. Operations: ``none`` (zeros), ``skip_connect``,
``nor_conv_1x1`` and ``nor_conv_3x3`` (ReLU-conv-BN), ``avg_pool_3x3`` (not counting the padding).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pnas.nn.ops import ReLUConvBN

__all__ = ["NB201Network", "NB201ResidualReduction", "NB201CellModule"]

_EDGE_INPUTS = (0, 0, 1, 0, 1, 2)


class _Zero(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mul(0.0)


def _edge_op(name: str, channels: int) -> nn.Module:
    if name == "none":
        return _Zero()
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return ReLUConvBN(channels, channels, 1)
    if name == "nor_conv_3x3":
        return ReLUConvBN(channels, channels, 3)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"unknown NAS-Bench-201 operation {name!r}")


class NB201CellModule(nn.Module):
    """One NB201 cell of ``channels`` maps: its 6 edges' operations, in the benchmark's edge order."""

    def __init__(self, edges: Sequence[str], channels: int) -> None:
        super().__init__()
        if len(edges) != len(_EDGE_INPUTS):
            raise ValueError(f"an NB201 cell has 6 edges, got {len(edges)}")
        self.edges = nn.ModuleList(_edge_op(name, channels) for name in edges)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Nodes 1..3 in turn, each the sum of its edges; node 3 is the output."""
        nodes = [x]
        edge = 0
        for node in range(1, 4):
            total = self.edges[edge](nodes[_EDGE_INPUTS[edge]])
            for offset in range(1, node):
                total = total + self.edges[edge + offset](nodes[_EDGE_INPUTS[edge + offset]])
            nodes.append(total)
            edge += node
        return nodes[-1]


class NB201ResidualReduction(nn.Module):
    """Two 3x3 ReLU-conv-BN (the first strided), plus a shortcut of 2x2 average pooling and a 1x1 conv."""

    def __init__(self, in_channels: int, channels: int) -> None:
        super().__init__()
        self.conv_a = ReLUConvBN(in_channels, channels, 3, stride=2)
        self.conv_b = ReLUConvBN(channels, channels, 3)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, stride=2), nn.Conv2d(in_channels, channels, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Halve the spatial size and double the width of ``x``."""
        return self.shortcut(x) + self.conv_b(self.conv_a(x))


class NB201Network(nn.Module):
    """The NAS-Bench-201 network of one cell (the same cell in every position).

    Args:
        edges: The cell's 6 operations in the benchmark's edge order (``NB201Cell.edges``).
        channels: Width of the first stage (the benchmark's 16).
        cells_per_stage: Cells per stage (the benchmark's 5).
        num_classes: Classifier outputs.
    """

    def __init__(self, edges: Sequence[str], channels: int = 16, cells_per_stage: int = 5, num_classes: int = 10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels))
        layers: list[nn.Module] = []
        width = channels
        for stage in range(3):
            if stage:
                layers.append(NB201ResidualReduction(width, 2 * width))
                width *= 2
            layers += [NB201CellModule(edges, width) for _ in range(cells_per_stage)]
        self.layers = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.BatchNorm2d(width), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.classifier = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of a batch of images ``(n, 3, H, W)``."""
        return self.classifier(self.head(self.layers(self.stem(x))))
