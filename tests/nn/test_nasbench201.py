"""The NAS-Bench-201 network: its shape, its operations and, where the benchmark table is present, its size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from pnas.benchmark.table import BenchmarkTable
from pnas.nn.nasbench201 import NB201CellModule, NB201Network
from pnas.search.spaces.nasbench201 import NB201Cell

TABLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "nasbench201" / "cifar10.csv"
MIXED = ("skip_connect", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3", "skip_connect")


def parameter_count(network: torch.nn.Module) -> int:
    return sum(parameter.numel() for parameter in network.parameters())


def test_the_network_maps_a_batch_to_logits_and_halves_the_maps_twice():
    network = NB201Network(MIXED, channels=4, cells_per_stage=1, num_classes=7)
    maps = network.layers(network.stem(torch.randn(2, 3, 16, 16)))
    assert maps.shape == (2, 16, 4, 4)
    assert network(torch.randn(2, 3, 16, 16)).shape == (2, 7)


def test_a_cell_sums_its_edges_into_each_node():
    # Edges in benchmark order: 1<-0, 2<-0, 2<-1, 3<-0, 3<-1, 3<-2.
    x = torch.randn(1, 2, 3, 3)
    chain = NB201CellModule(("skip_connect", "none", "skip_connect", "none", "none", "skip_connect"), channels=2)
    torch.testing.assert_close(chain(x), x)  # node1 = x, node2 = node1, node3 = node2
    summed = NB201CellModule(("skip_connect",) * 3 + ("none",) + ("skip_connect",) * 2, channels=2)
    torch.testing.assert_close(summed(x), 3 * x)  # node1 = x, node2 = x + node1, node3 = 0 + node1 + node2
    direct = NB201CellModule(("none",) * 3 + ("avg_pool_3x3", "none", "none"), channels=2)
    torch.testing.assert_close(direct(x), torch.nn.AvgPool2d(3, 1, 1, count_include_pad=False)(x))


def test_a_cell_of_only_none_edges_outputs_zeros_and_the_network_a_constant():
    network = NB201Network(("none",) * 6, channels=4, cells_per_stage=1).eval()
    logits = network(torch.randn(3, 3, 8, 8))
    torch.testing.assert_close(logits, logits[:1].expand(3, -1))


def test_an_unknown_operation_or_edge_count_is_refused():
    with pytest.raises(ValueError, match="unknown NAS-Bench-201 operation 'sep_conv_3x3'"):
        NB201CellModule(("sep_conv_3x3",) * 6, 4)
    with pytest.raises(ValueError, match="6 edges, got 5"):
        NB201CellModule(("none",) * 5, 4)


@pytest.mark.skipif(not TABLE.is_file(), reason="NAS-Bench-201 table not in ../shared")
def test_parameter_counts_match_the_benchmark_table_for_every_operation_mix():
    table = BenchmarkTable(TABLE)
    rows = np.random.default_rng(0).choice(len(table), 40, replace=False)
    for row in rows:
        arch = table.architectures[row]
        expected = round(table.value(arch, "params_m") * 1e6)
        assert parameter_count(NB201Network(NB201Cell.from_arch(arch).edges)) == expected, arch
