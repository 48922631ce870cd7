from __future__ import annotations

import pytest
import torch
from torch import nn

from pnas.errors import ConfigError
from pnas.nn import CellModule, CellNetwork, build_network
from pnas.nn.ops import FactorizedReduce, ReLUConvBN
from pnas.space import GENOTYPES, Cell, GenotypeError, save_genotype
from tests.conftest import random_cell

PNASNET5 = GENOTYPES["pnasnet5"]


@pytest.mark.parametrize(("size", "channels"), [(8, 1), (32, 3), (28, 1)])
def test_network_forward_shapes(size, channels):
    net = build_network("pnasnet5", num_classes=7, in_channels=channels, num_cells=1, filters=4)
    logits = net(torch.randn(3, channels, size, size))
    assert logits.shape == (3, 7)
    features = net.forward_features(torch.randn(3, channels, size, size))
    reduced = ((size + 1) // 2 + 1) // 2  # two stride-2 reductions, each rounding up
    assert features.shape == (3, 4 * 4 * PNASNET5.num_blocks, reduced, reduced)


def test_random_cells_build_and_run(rng):
    for num_blocks in (1, 2, 3, 5):
        cell = random_cell(rng, num_blocks)
        net = build_network(cell, num_classes=10, in_channels=1, num_cells=1, filters=4)
        out = net(torch.randn(2, 1, 8, 8))
        assert out.shape == (2, 10)
        out.sum().backward()


def test_cell_module_concatenates_all_block_outputs():
    cell = Cell(((0, "identity", 1, "identity"), (2, "identity", 2, "identity")))
    module = CellModule(cell, prev_prev_channels=5, prev_channels=6, channels=3)
    assert module.out_channels == 6
    out = module(torch.randn(1, 5, 8, 8), torch.randn(1, 6, 8, 8))
    assert out.shape == (1, 6, 8, 8)
    first, second = out[:, :3], out[:, 3:]
    assert torch.allclose(second, 2 * first)  # block 2 = block 1 + block 1


def test_reduction_cell_halves_and_handles_reduced_prev_prev():
    module = CellModule(PNASNET5, 8, 8, 4, reduction=True, prev_reduction=False)
    assert module(torch.randn(1, 8, 8, 8), torch.randn(1, 8, 8, 8)).shape == (1, 20, 4, 4)
    after = CellModule(PNASNET5, 8, 20, 4, reduction=False, prev_reduction=True)
    assert after(torch.randn(1, 8, 8, 8), torch.randn(1, 20, 4, 4)).shape == (1, 20, 4, 4)


def test_stage_layout_follows_the_reference():
    # (num_reductions + 1) * N cells, reductions at calc_reduction_layers(9, 2) = [int(9 / 3), int(18 / 3)] = [3, 6]
    net = build_network("pnasnet5", num_classes=10, num_cells=3, filters=48)
    assert net.num_parameters == sum(p.numel() for p in net.parameters())
    assert [i for i, cell in enumerate(net.cells) if cell.reduction] == [3, 6]
    assert len(net.cells) == 9 and net.num_stem_cells == 0
    assert [cell.out_channels for cell in net.cells] == [48 * 5] * 3 + [96 * 5] * 3 + [192 * 5] * 3
    assert net.classifier.in_features == 48 * 4 * 5
    small = build_network("pnasnet5", num_classes=10, num_cells=1, filters=8)
    assert [cell.reduction for cell in small.cells] == [False, True, True]
    assert small.num_parameters < net.num_parameters
    assert len(build_network("pnasnet5", 10, num_cells=0).cells) == 0  # stem and head only


def test_inputs_are_brought_to_the_cell_shape_as_the_reference_does():
    net = build_network("pnasnet5", num_classes=10, num_cells=3, filters=48)
    first, second, _, reduction, after = net.cells[:5]
    # The first cell has no H[c-2]: it reads the unprojected 144-map stem output in its place.
    assert first.preprocess_prev_prev is None
    assert first.ops[0][1].groups == 3 * 48 and first.ops[0][2].out_channels == 48  # sep_conv_5x5(H[c-2])
    assert isinstance(second.preprocess_prev_prev, ReLUConvBN)  # 144 maps -> 48
    assert isinstance(net.cells[2].preprocess_prev_prev, ReLUConvBN)  # 5 blocks * 48 maps -> 48
    assert isinstance(reduction.preprocess_prev_prev, ReLUConvBN)
    assert isinstance(after.preprocess_prev_prev, FactorizedReduce)  # H[c-2] is twice the size of H[c-1]
    assert all(isinstance(cell.preprocess_prev, ReLUConvBN) for cell in net.cells)
    one_block = build_network("sep_conv_3x3(c-2) + identity(c-1)", 10, num_cells=3, filters=8)
    assert isinstance(one_block.cells[2].preprocess_prev_prev, nn.Identity)  # H[c-2] has 1 block * 8 maps already


def test_reduction_cell_strides_only_ops_reading_the_cell_inputs():
    module = CellModule(PNASNET5, 8, 8, 4, reduction=True)
    strides = [
        max(m.stride[0] if isinstance(m.stride, tuple) else m.stride for m in op.modules() if hasattr(m, "stride"))
        for op in module.ops
    ]
    reads_input = [index < 2 for block in PNASNET5.blocks for index in (block.input_1, block.input_2)]
    assert strides == [2 if flag else 1 for flag in reads_input]
    identity = module.ops[-1]  # identity(H[c-1]) of the last block: ReLU-1x1 conv-BN with stride 2
    assert isinstance(identity, ReLUConvBN) and identity[1].stride == (2, 2)


def test_imagenet_stem_and_its_two_reduction_cells():
    net = build_network("pnasnet5", 7, num_cells=1, filters=10, stem_multiplier=2, stem="imagenet")
    conv = net.stem[0]
    assert conv.out_channels == 2 * 32 and conv.stride == (2, 2) and conv.padding == (0, 0)
    assert net.num_stem_cells == 2 and [cell.reduction for cell in net.cells] == [True, True, False, True, True]
    assert [cell.out_channels for cell in net.cells[:3]] == [10 // 4 * 5, 10 // 2 * 5, 10 * 5]  # int(F * 0.25), ...
    assert net.cells[0].preprocess_prev_prev is None
    assert isinstance(net.cells[1].preprocess_prev_prev, FactorizedReduce)  # the stem conv's output is twice as big
    assert isinstance(net.cells[2].preprocess_prev_prev, FactorizedReduce)
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 7)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"stem": "mnist"}, "stem must be one of cifar, imagenet, got 'mnist'"),
        ({"stem": "imagenet", "filters": 3}, "filters must be an integer >= 4, got 3"),
        ({"num_cells": -1}, "num_cells must be an integer >= 0, got -1"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        build_network("pnasnet5", 10, **kwargs)


def test_build_network_accepts_json_path_and_string(tmp_path):
    path = save_genotype(PNASNET5, tmp_path / "g.json")
    for spec in (str(path), PNASNET5.to_string()):
        assert build_network(spec, 10).genotype == PNASNET5
    with pytest.raises(GenotypeError):
        build_network("not-a-cell", 10)


def test_is_a_plain_module_usable_anywhere():
    net = build_network("pnasnet5", num_classes=10, num_cells=1, filters=4)
    assert isinstance(net, CellNetwork) and isinstance(net, torch.nn.Module)
    net.eval()
    with torch.no_grad():
        assert torch.allclose(net(torch.ones(1, 3, 16, 16)), net(torch.ones(1, 3, 16, 16)))
