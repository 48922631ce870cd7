"""Drop-path and the auxiliary head: schedule values, shapes, and no effect at evaluation time."""

from __future__ import annotations

import pytest
import torch

from pnas.errors import ConfigError
from pnas.nn import build_network, count_macs
from pnas.nn.cell import CellModule
from pnas.nn.training_aids import drop_path, scheduled_keep_prob
from pnas.space import Cell


@pytest.mark.parametrize(
    ("final", "layer_ratio", "progress", "expected"),
    [
        (0.6, 1.0, 0.0, 1.0),  # nothing dropped at the first step
        (0.6, 1.0, 1.0, 0.6),  # the last cell reaches drop_path_keep_prob at the end
        (0.6, 1.0, 0.5, 0.8),  # linear in time
        (0.6, 0.5, 1.0, 0.8),  # linear in depth
        (0.6, 0.5, 0.5, 0.9),
        (0.6, 1.0, 3.0, 0.6),  # progress past the end is clipped
        (1.0, 1.0, 1.0, 1.0),  # keep 1: never anything dropped
    ],
)
def test_scheduled_keep_prob(final, layer_ratio, progress, expected):
    assert scheduled_keep_prob(final, layer_ratio, progress) == pytest.approx(expected)


def test_network_schedule_falls_with_depth_and_time():
    network = build_network("pnasnet5", 10, num_cells=3, filters=4, drop_path_keep_prob=0.6)
    assert network.drop_path_keep_probs == [1.0] * 9
    network.set_training_progress(1.0)
    assert network.drop_path_keep_probs == pytest.approx([1 - (i + 1) / 9 * 0.4 for i in range(9)])
    network.set_training_progress(0.25)
    assert network.drop_path_keep_probs[-1] == pytest.approx(0.9)
    # The ImageNet stem's two cells count as the first cells, as the reference's true_cell_num does.
    imagenet = build_network("pnasnet5", 10, num_cells=1, filters=4, drop_path_keep_prob=0.5, stem="imagenet")
    imagenet.set_training_progress(1.0)
    assert imagenet.drop_path_keep_probs == pytest.approx([0.9, 0.8, 0.7, 0.6, 0.5])


def test_drop_path_zeroes_whole_examples_and_keeps_the_mean():
    torch.manual_seed(0)
    x = torch.ones(20_000, 2, 3, 3)
    out = drop_path(x, 0.75)
    per_example = out.flatten(1)
    assert torch.all(per_example == per_example[:, :1])  # an example is dropped whole or not at all
    dropped = (per_example[:, 0] == 0).float().mean().item()
    assert dropped == pytest.approx(0.25, abs=0.015)
    assert per_example[:, 0].unique().tolist() == pytest.approx([0.0, 1 / 0.75])
    assert out.mean().item() == pytest.approx(1.0, abs=0.02)
    assert drop_path(x, 1.0) is x


def test_drop_path_has_no_effect_at_evaluation():
    torch.manual_seed(0)
    plain = build_network("pnasnet5", 10, num_cells=1, filters=4)
    dropping = build_network("pnasnet5", 10, num_cells=1, filters=4, drop_path_keep_prob=0.3)
    dropping.load_state_dict(plain.state_dict())  # drop-path adds no weights
    dropping.set_training_progress(1.0)
    x = torch.randn(4, 3, 16, 16)
    plain.eval(), dropping.eval()
    with torch.no_grad():
        assert torch.equal(plain(x), dropping(x))
    plain.train(), dropping.train()
    with torch.no_grad():
        torch.manual_seed(1)
        first = dropping(x)
        assert not torch.allclose(first, plain(x))  # while training it does drop
        torch.manual_seed(2)
        assert not torch.allclose(first, dropping(x))  # and differently at every call


def test_identity_outputs_are_never_dropped():
    cell = CellModule(Cell.from_string("identity(c-1) + identity(c-1)"), 8, 8, 8)
    assert cell.dropped == [False, False]
    reference = CellModule(Cell.from_string("identity(c-1) + identity(c-1)"), 8, 8, 8)
    reference.load_state_dict(cell.state_dict())
    cell.drop_path.keep_prob = 0.01
    x = torch.randn(6, 8, 4, 4)
    assert torch.equal(cell(x, x), reference(x, x))
    pooled = CellModule(Cell.from_string("max_pool_3x3(c-1) + identity(c-2)"), 8, 8, 8)
    assert sorted(pooled.dropped) == [False, True]  # pooling is dropped, as in the reference


def _aux_input_size(network, image_size: int) -> tuple[int, ...]:
    seen = {}
    handle = network.aux_head.register_forward_hook(lambda module, inputs, output: seen.update(shape=inputs[0].shape))
    network.train()
    with torch.no_grad():
        network.forward_with_aux(torch.randn(2, network.stem[0].in_channels, image_size, image_size))
    handle.remove()
    return tuple(seen["shape"])


@pytest.mark.parametrize(
    ("stem", "image_size", "in_channels", "expected_size"),
    [("cifar", 32, 3, 16), ("cifar", 33, 3, 17), ("cifar", 8, 1, 4), ("imagenet", 224, 3, 14), ("imagenet", 75, 3, 5)],
)
def test_aux_head_reads_the_cell_before_the_second_reduction(stem, image_size, in_channels, expected_size):
    network = build_network(
        "pnasnet5", 7, in_channels=in_channels, num_cells=2, filters=4, stem=stem, aux_head=True, image_size=image_size
    )
    second_reduction = network.num_stem_cells + 2 * 2
    assert network.cells[second_reduction].reduction and not network.cells[network.aux_cell_index].reduction
    assert network.aux_cell_index == second_reduction - 1
    channels = network.cells[network.aux_cell_index].out_channels
    assert _aux_input_size(network, image_size) == (2, channels, expected_size, expected_size)
    logits, aux_logits = network.forward_with_aux(torch.randn(3, in_channels, image_size, image_size))
    assert logits.shape == aux_logits.shape == (3, 7)


def test_aux_head_has_no_effect_at_evaluation_and_is_not_counted():
    torch.manual_seed(0)
    with_aux = build_network("pnasnet5", 10, num_cells=1, filters=4, aux_head=True, image_size=32)
    without = build_network("pnasnet5", 10, num_cells=1, filters=4)
    without.load_state_dict({k: v for k, v in with_aux.state_dict().items() if not k.startswith("aux_head.")})
    assert with_aux.num_parameters == without.num_parameters
    assert count_macs(with_aux, (3, 32, 32)) == count_macs(without, (3, 32, 32))
    with_aux.eval(), without.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        logits, aux_logits = with_aux.forward_with_aux(x)
        assert aux_logits is None and torch.equal(logits, without(x)) and torch.equal(with_aux(x), logits)


def test_training_aid_settings_are_checked():
    with pytest.raises(ConfigError, match="drop_path_keep_prob must be in \\(0, 1\\], got 0"):
        build_network("pnasnet5", 10, drop_path_keep_prob=0)
    with pytest.raises(ConfigError, match="needs num_reductions >= 2"):
        build_network("pnasnet5", 10, num_reductions=1, aux_head=True)
    with pytest.raises(ConfigError, match="image_size"):
        build_network("pnasnet5", 10, aux_head=True, image_size=0)


def test_batch_norm_settings_reach_every_batch_norm():
    network = build_network("pnasnet5", 10, num_cells=1, filters=4, aux_head=True, batch_norm_momentum=3e-4)
    norms = [m for m in network.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert len(norms) > 10 and {(m.momentum, m.eps) for m in norms} == {(3e-4, 1e-5)}
    with pytest.raises(ConfigError, match="batch_norm_momentum must be in \\(0, 1\\]"):
        build_network("pnasnet5", 10, batch_norm_momentum=0)


def test_every_op_output_gets_its_own_mask_pooling_included():
    torch.manual_seed(0)
    genotype = Cell.from_string("max_pool_3x3(c-1) + max_pool_3x3(c-1)")
    cell, reference = CellModule(genotype, 4, 4, 4), CellModule(genotype, 4, 4, 4)
    reference.load_state_dict(cell.state_dict())
    cell.drop_path.keep_prob = 0.5
    x = torch.randn(64, 4, 6, 6)
    with torch.no_grad():
        kept = reference(x, x)  # both pooled outputs kept: 2 * pool
        dropped = cell(x, x)  # each pooled output zeroed or doubled, independently
    share = (dropped.flatten(1) / kept.flatten(1)).nan_to_num(1.0)
    per_example = share.median(dim=1).values
    assert set(per_example.round().tolist()) == {0.0, 1.0, 2.0}  # 1: one op dropped, the other kept
