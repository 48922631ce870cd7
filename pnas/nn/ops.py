"""The 8 PNAS operations as modules, built by name from :data:`OPERATIONS`.

Every operation maps ``channels`` feature maps to ``channels`` feature maps; with ``stride=2`` it halves the
spatial size (rounding up, so odd sizes work). Separable convolutions are applied twice (ReLU-SepConv-BN, twice),
as in NASNet and PNAS.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["OPERATIONS", "DilatedConv", "FactorizedReduce", "ReLUConvBN", "SeparableConv", "SpatialConv", "build_op"]


class ReLUConvBN(nn.Sequential):
    """ReLU, a ``kernel_size`` convolution, batch norm."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(out_channels),
        )


class FactorizedReduce(nn.Module):
    """Halve the spatial size without losing pixels: two strided 1x1 convs on offset grids, concatenated."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        half = out_channels // 2
        self.conv_even = nn.Conv2d(in_channels, half, 1, stride=2, bias=False)
        self.conv_odd = nn.Conv2d(in_channels, out_channels - half, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Halve the spatial size of ``x`` (rounding up) and map it to ``out_channels`` maps."""
        x = F.relu(x)
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_even(x), self.conv_odd(shifted)], dim=1))


def _separable(channels: int, kernel_size: int, stride: int, dilation: int = 1) -> list[nn.Module]:
    padding = dilation * (kernel_size - 1) // 2
    return [
        nn.ReLU(),
        nn.Conv2d(channels, channels, kernel_size, stride, padding, dilation=dilation, groups=channels, bias=False),
        nn.Conv2d(channels, channels, 1, bias=False),
        nn.BatchNorm2d(channels),
    ]


class SeparableConv(nn.Sequential):
    """Depthwise-separable ``kernel_size`` convolution applied twice; the first application carries the stride."""

    def __init__(self, channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__(*_separable(channels, kernel_size, stride), *_separable(channels, kernel_size, 1))


class DilatedConv(nn.Sequential):
    """Depthwise-separable 3x3 convolution with dilation 2 (a 5x5 receptive field)."""

    def __init__(self, channels: int, stride: int = 1) -> None:
        super().__init__(*_separable(channels, 3, stride, dilation=2))


class SpatialConv(nn.Sequential):
    """A 1x7 convolution followed by a 7x1 convolution."""

    def __init__(self, channels: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(channels, channels, (1, 7), stride=(1, stride), padding=(0, 3), bias=False),
            nn.Conv2d(channels, channels, (7, 1), stride=(stride, 1), padding=(3, 0), bias=False),
            nn.BatchNorm2d(channels),
        )


def _identity(channels: int, stride: int) -> nn.Module:
    return nn.Identity() if stride == 1 else FactorizedReduce(channels, channels)


#: Operation name -> factory ``(channels, stride) -> nn.Module``; the keys are exactly ``pnas.space.OPS``.
OPERATIONS: dict[str, Callable[[int, int], nn.Module]] = {
    "sep_conv_3x3": lambda channels, stride: SeparableConv(channels, 3, stride),
    "sep_conv_5x5": lambda channels, stride: SeparableConv(channels, 5, stride),
    "sep_conv_7x7": lambda channels, stride: SeparableConv(channels, 7, stride),
    "conv_1x7_7x1": lambda channels, stride: SpatialConv(channels, stride),
    "identity": _identity,
    "avg_pool_3x3": lambda channels, stride: nn.AvgPool2d(3, stride, padding=1, count_include_pad=False),
    "max_pool_3x3": lambda channels, stride: nn.MaxPool2d(3, stride, padding=1),
    "dil_conv_3x3": lambda channels, stride: DilatedConv(channels, stride),
}


def build_op(name: str, channels: int, stride: int = 1) -> nn.Module:
    """Build the operation ``name`` for ``channels`` feature maps and ``stride`` 1 or 2.

    Raises:
        KeyError: ``name`` is not an operation of :data:`OPERATIONS`.
    """
    return OPERATIONS[name](channels, stride)
