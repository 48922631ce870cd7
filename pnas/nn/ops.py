"""The 8 PNAS operations as modules, built by name from :data:`OPERATIONS`, as TF-slim's ``nasnet_utils`` builds them.

Every operation maps ``in_channels`` feature maps to ``channels`` feature maps; with ``stride=2`` it halves the
spatial size (rounding up, as TensorFlow's ``SAME`` padding does, so odd sizes work). ``in_channels`` differs from
``channels`` only where a cell reads an input that was not projected to the cell's width (the first cell after a
stem). Following ``NasNetABaseCell._apply_conv_operation`` in the reference implementation:

- separable convolutions are applied twice (ReLU-SepConv-BN, twice), the stride and the change of width on the
  first application (``_stacked_separable_conv`` with ``separable_kxk_2``);
- identity is parameter-free unless it must stride or change width, then it is ReLU-1x1 conv-BN (``none``);
- pooling (``SAME`` padding, average pooling not counting the padding) is followed by a 1x1 conv-BN only where the
  width changes (``_pooling``).

The reference has no 1x7-7x1 or dilated convolution; they follow the nearest ``nasnet_utils`` conventions:
ReLU, then the convolution(s), then one batch norm, the stride and the change of width on the first convolution.
The 1x7-7x1 op is a 1x7 conv then a 7x1 conv; the dilated op is one depthwise-separable 3x3 conv with dilation 2
(applied once: it is not a ``separable_kxk_2`` op).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "OPERATIONS",
    "DilatedConv",
    "FactorizedReduce",
    "Pool",
    "ReLUConvBN",
    "SeparableConv",
    "SpatialConv",
    "build_op",
]


class ReLUConvBN(nn.Sequential):
    """ReLU, a ``kernel_size`` convolution, batch norm."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 1, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, bias=False),
            nn.BatchNorm2d(out_channels),
        )


class FactorizedReduce(nn.Module):
    """ReLU, then halve the spatial size without losing pixels: two strided 1x1 convs on offset grids, concatenated.

    As ``nasnet_utils.factorized_reduction`` (stride 2) preceded by the ReLU of ``_reduce_prev_layer``; an odd
    ``out_channels`` gives the second path the extra channel.
    """

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


def _separable(in_channels: int, channels: int, kernel_size: int, stride: int, dilation: int = 1) -> list[nn.Module]:
    padding = dilation * (kernel_size - 1) // 2
    return [
        nn.ReLU(),
        nn.Conv2d(
            in_channels, in_channels, kernel_size, stride, padding, dilation=dilation, groups=in_channels, bias=False
        ),
        nn.Conv2d(in_channels, channels, 1, bias=False),
        nn.BatchNorm2d(channels),
    ]


class SeparableConv(nn.Sequential):
    """Depthwise-separable ``kernel_size`` convolution applied twice; the first application strides and widens."""

    def __init__(self, in_channels: int, channels: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__(
            *_separable(in_channels, channels, kernel_size, stride), *_separable(channels, channels, kernel_size, 1)
        )


class DilatedConv(nn.Sequential):
    """ReLU, depthwise-separable 3x3 convolution with dilation 2 (a 5x5 receptive field), batch norm."""

    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__(*_separable(in_channels, channels, 3, stride, dilation=2))


class SpatialConv(nn.Sequential):
    """ReLU, a 1x7 convolution (carrying the stride), a 7x1 convolution, batch norm."""

    def __init__(self, in_channels: int, channels: int, stride: int = 1) -> None:
        super().__init__(
            nn.ReLU(),
            nn.Conv2d(in_channels, channels, (1, 7), stride=stride, padding=(0, 3), bias=False),
            nn.Conv2d(channels, channels, (7, 1), padding=(3, 0), bias=False),
            nn.BatchNorm2d(channels),
        )


class Pool(nn.Sequential):
    """3x3 average or max pooling with ``SAME`` padding, then a 1x1 conv and batch norm if the width changes."""

    def __init__(self, kind: str, in_channels: int, channels: int, stride: int = 1) -> None:
        if kind == "avg":
            pool: nn.Module = nn.AvgPool2d(3, stride, padding=1, count_include_pad=False)
        else:
            pool = nn.MaxPool2d(3, stride, padding=1)
        projection = [nn.Conv2d(in_channels, channels, 1, bias=False), nn.BatchNorm2d(channels)]
        super().__init__(pool, *(projection if in_channels != channels else []))


def _identity(in_channels: int, channels: int, stride: int) -> nn.Module:
    if stride == 1 and in_channels == channels:
        return nn.Identity()
    return ReLUConvBN(in_channels, channels, 1, stride)


#: Operation name -> factory ``(in_channels, channels, stride) -> nn.Module``; the keys are exactly ``pnas.space.OPS``.
OPERATIONS: dict[str, Callable[[int, int, int], nn.Module]] = {
    "sep_conv_3x3": lambda in_channels, channels, stride: SeparableConv(in_channels, channels, 3, stride),
    "sep_conv_5x5": lambda in_channels, channels, stride: SeparableConv(in_channels, channels, 5, stride),
    "sep_conv_7x7": lambda in_channels, channels, stride: SeparableConv(in_channels, channels, 7, stride),
    "conv_1x7_7x1": SpatialConv,
    "identity": _identity,
    "avg_pool_3x3": lambda in_channels, channels, stride: Pool("avg", in_channels, channels, stride),
    "max_pool_3x3": lambda in_channels, channels, stride: Pool("max", in_channels, channels, stride),
    "dil_conv_3x3": DilatedConv,
}


def build_op(name: str, channels: int, stride: int = 1, in_channels: int | None = None) -> nn.Module:
    """Build the operation ``name`` mapping ``in_channels`` maps to ``channels`` maps with ``stride`` 1 or 2.

    Args:
        name: One of :data:`OPERATIONS`.
        channels: Output feature maps.
        stride: 1, or 2 to halve the spatial size.
        in_channels: Input feature maps; default ``channels``.

    Raises:
        KeyError: ``name`` is not an operation of :data:`OPERATIONS`.
    """
    return OPERATIONS[name](channels if in_channels is None else in_channels, channels, stride)
