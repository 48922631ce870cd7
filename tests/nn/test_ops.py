from __future__ import annotations

import pytest
import torch
from torch import nn

from pnas.nn import OPERATIONS, build_op
from pnas.space import OPS


def test_every_space_op_has_a_module():
    assert tuple(OPERATIONS) == OPS


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize(("size", "stride", "expected"), [(8, 1, 8), (8, 2, 4), (7, 2, 4), (32, 2, 16)])
def test_op_output_shape(name, size, stride, expected):
    op = build_op(name, 6, stride)
    x = torch.randn(2, 6, size, size)
    assert op(x).shape == (2, 6, expected, expected)


def depthwise_convs(module: nn.Module) -> list[nn.Conv2d]:
    return [m for m in module.modules() if isinstance(m, nn.Conv2d) and m.groups > 1]


@pytest.mark.parametrize(("name", "kernel"), [("sep_conv_3x3", 3), ("sep_conv_5x5", 5), ("sep_conv_7x7", 7)])
def test_separable_convs_are_applied_twice(name, kernel):
    convs = depthwise_convs(build_op(name, 4, 2))
    assert [c.kernel_size for c in convs] == [(kernel, kernel)] * 2
    assert [c.stride for c in convs] == [(2, 2), (1, 1)]


def test_dilated_conv_is_dilated():
    (conv,) = depthwise_convs(build_op("dil_conv_3x3", 4))
    assert conv.dilation == (2, 2) and conv.kernel_size == (3, 3)


def test_identity_is_parameter_free_at_stride_1():
    assert isinstance(build_op("identity", 4, 1), nn.Identity)
    x = torch.randn(1, 4, 5, 5)
    assert torch.equal(build_op("identity", 4, 1)(x), x)


def test_spatial_conv_is_1x7_then_7x1():
    convs = [m for m in build_op("conv_1x7_7x1", 4).modules() if isinstance(m, nn.Conv2d)]
    assert [c.kernel_size for c in convs] == [(1, 7), (7, 1)]
