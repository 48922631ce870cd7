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


@pytest.mark.parametrize("name", OPS)
@pytest.mark.parametrize("stride", [1, 2])
def test_op_changes_width_from_in_channels(name, stride):
    op = build_op(name, 6, stride, in_channels=10)
    assert op(torch.randn(2, 10, 7, 7)).shape == (2, 6, 4 if stride == 2 else 7, 4 if stride == 2 else 7)


def test_identity_projects_only_to_stride_or_change_width():
    for op in (build_op("identity", 4, 2), build_op("identity", 4, 1, in_channels=6)):
        relu, conv, bn = op
        assert isinstance(relu, nn.ReLU) and conv.kernel_size == (1, 1) and isinstance(bn, nn.BatchNorm2d)
    assert build_op("identity", 4, 2)[1].stride == (2, 2)


@pytest.mark.parametrize("name", ["avg_pool_3x3", "max_pool_3x3"])
def test_pooling_projects_only_when_the_width_changes(name):
    assert not [m for m in build_op(name, 4, 2).modules() if isinstance(m, nn.Conv2d)]
    pool, conv, bn = build_op(name, 4, 1, in_channels=6)
    assert (conv.in_channels, conv.out_channels, conv.kernel_size) == (6, 4, (1, 1)) and isinstance(bn, nn.BatchNorm2d)


def test_separable_conv_strides_and_widens_on_its_first_application():
    first, second = depthwise_convs(build_op("sep_conv_5x5", 4, 2, in_channels=6))
    assert (first.in_channels, first.stride, second.in_channels, second.stride) == (6, (2, 2), 4, (1, 1))


def test_spatial_conv_strides_on_its_first_convolution():
    first, second = [m for m in build_op("conv_1x7_7x1", 4, 2).modules() if isinstance(m, nn.Conv2d)]
    assert first.stride == (2, 2) and second.stride == (1, 1)
