"""PNASNet-5 at the paper's published settings: parameter and multiply-add counts, shapes, the reference cell."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from pnas.nn import CellNetwork, count_macs, pnasnet5_cifar, pnasnet5_large, pnasnet5_mobile
from pnas.space import GENOTYPES, Block, Cell
from tests.conftest import random_cell

# name: (factory, input size, published parameters, published multiply-adds or None, relative tolerance).
# CIFAR-10: the paper's Table 1; Mobile and Large: Tables 4 and 5 (ImageNet, 1000 classes).
PUBLISHED = {
    "cifar": (pnasnet5_cifar, (3, 32, 32), 3.2e6, None, 0.03),
    "mobile": (pnasnet5_mobile, (3, 224, 224), 5.1e6, 588e6, 0.03),
    "large": (pnasnet5_large, (3, 331, 331), 86.1e6, 25.0e9, 0.005),
}


def on_meta(factory, **kwargs) -> CellNetwork:
    """The network with its parameters on the meta device: built and counted in milliseconds, no memory."""
    with torch.device("meta"):
        return factory(**kwargs)


@pytest.mark.parametrize("name", PUBLISHED)
def test_parameters_and_multiply_adds_match_the_paper(name):
    factory, size, parameters, macs, tolerance = PUBLISHED[name]
    net = on_meta(factory)
    assert sum(p.numel() for p in net.parameters()) == pytest.approx(parameters, rel=tolerance)
    if macs is not None:
        assert count_macs(net, size) == pytest.approx(macs, rel=tolerance)


def test_cifar_forward_shape():
    net = pnasnet5_cifar().eval()
    with torch.no_grad():
        assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


@pytest.mark.parametrize(
    ("factory", "size", "sizes"),
    [
        # stem conv (3x3, stride 2, no padding), two stem reduction cells, then stages of 3, 3, 3 or 4, 4, 4 cells
        (pnasnet5_mobile, 224, [111, 56, 28] + [28] * 3 + [14] * 3 + [7] * 3),
        (pnasnet5_large, 331, [165, 83, 42] + [42] * 4 + [21] * 4 + [11] * 4),
    ],
)
def test_imagenet_shapes_and_reductions_halve(factory, size, sizes):
    net = on_meta(factory, num_classes=17)
    seen: list[int] = []
    net.stem.register_forward_hook(lambda module, inputs, output: seen.append(output.shape[-1]))
    for cell in net.cells:
        cell.register_forward_hook(lambda module, inputs, output: seen.append(output.shape[-1]))
    assert net(torch.empty(2, 3, size, size, device="meta")).shape == (2, 17)
    assert seen == sizes
    halved = [(before + 1) // 2 for before, cell in zip(sizes[:-1], net.cells, strict=True) if cell.reduction]
    assert halved == [after for after, cell in zip(sizes[1:], net.cells, strict=True) if cell.reduction]


@pytest.mark.parametrize("factory", [pnasnet5_cifar, pnasnet5_mobile, pnasnet5_large])
def test_factories_take_any_genotype_and_num_classes(factory, rng):
    cell = random_cell(rng, 3)
    net = on_meta(factory, num_classes=5, genotype=cell)
    assert net.genotype == cell and net.classifier.out_features == 5
    assert isinstance(net, nn.Module)


def test_registered_pnasnet5_is_the_reference_cell():
    # TF-slim pnasnet.PNasNetNormalCell: hidden state 0 is H[c-1], 1 is H[c-2], k >= 2 is block k - 2; 'none' is
    # identity. This package numbers H[c-2] as 0 and H[c-1] as 1, blocks alike.
    operations = [
        "separable_5x5_2", "max_pool_3x3", "separable_7x7_2", "max_pool_3x3", "separable_5x5_2",
        "separable_3x3_2", "separable_3x3_2", "max_pool_3x3", "separable_3x3_2", "none",
    ]  # fmt: skip
    hiddenstate_indices = [1, 1, 0, 0, 0, 0, 4, 0, 1, 0]
    names = {"separable_3x3_2": "sep_conv_3x3", "separable_5x5_2": "sep_conv_5x5", "separable_7x7_2": "sep_conv_7x7"}
    names |= {"max_pool_3x3": "max_pool_3x3", "none": "identity"}
    ours = [1 - index if index < 2 else index for index in hiddenstate_indices]
    blocks = [
        Block(ours[i], names[operations[i]], ours[i + 1], names[operations[i + 1]]) for i in range(0, len(ours), 2)
    ]
    assert GENOTYPES["pnasnet5"] == Cell(tuple(blocks))
