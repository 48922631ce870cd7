from __future__ import annotations

import pytest
import torch

from pnas.nn import CellModule, CellNetwork, build_network
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


def test_parameter_count_and_stage_layout():
    net = build_network("pnasnet5", num_classes=10, num_cells=3, filters=48)
    assert net.num_parameters == sum(p.numel() for p in net.parameters())
    assert len(net.cells) == 3 * 3 + 2
    assert [cell.reduction for cell in net.cells].count(True) == 2
    assert net.classifier.in_features == 48 * 4 * 5
    small = build_network("pnasnet5", num_classes=10, num_cells=1, filters=8)
    assert small.num_parameters < net.num_parameters


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
