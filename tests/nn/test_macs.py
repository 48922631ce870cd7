from __future__ import annotations

import pytest
import torch
from torch import nn

from pnas.errors import ConfigError
from pnas.nn import build_network, count_macs


def test_counts_a_conv_and_a_linear_layer_by_hand():
    net = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(4, 2),
    )
    # conv: 4 x 5 x 5 outputs, 3 x 3 x 3 multiply-adds each; linear: 2 outputs, 4 each; BN, pooling and biases: none
    assert count_macs(net, (3, 5, 5)) == 4 * 5 * 5 * 3 * 3 * 3 + 2 * 4


def test_counts_grouped_and_strided_convs():
    depthwise = nn.Conv2d(6, 6, 3, stride=2, padding=1, groups=6)
    assert count_macs(depthwise, (6, 8, 8)) == 6 * 4 * 4 * 9
    grouped = nn.Conv2d(6, 4, (1, 7), padding=(0, 3), groups=2)
    assert count_macs(grouped, (6, 5, 5)) == 4 * 5 * 5 * 3 * 7


def test_leaves_the_network_untouched():
    net = build_network("pnasnet5", 10, in_channels=1, num_cells=1, filters=4)
    net.train()
    net.cells[0].eval()
    before = {name: tensor.clone() for name, tensor in net.state_dict().items()}
    assert count_macs(net, (1, 8, 8)) > 0
    assert net.training and not net.cells[0].training and net.cells[1].training
    assert all(torch.equal(before[name], tensor) for name, tensor in net.state_dict().items())
    assert next(net.parameters()).device.type == "cpu"


@pytest.mark.parametrize("size", [(), (3, 0, 8), (3, 8.0, 8), 32])
def test_bad_input_size(size):
    with pytest.raises(ConfigError, match="input_size"):
        count_macs(nn.Linear(2, 2), size)
