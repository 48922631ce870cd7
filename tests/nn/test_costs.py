"""Costs without building: CellCosts gives exactly the parameters and multiply-adds of the built networks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from pnas.nn import build_network, count_macs
from pnas.nn.costs import CellCosts
from pnas.space import GENOTYPES
from tests.conftest import cells

SETTINGS = [
    ({"num_cells": 2, "filters": 6}, (3, 32, 32)),
    ({"num_cells": 1, "filters": 8, "stem": "imagenet", "stem_multiplier": 1}, (3, 75, 75)),
    ({"num_cells": 1, "filters": 4, "num_reductions": 1}, (1, 9, 9)),
]


@pytest.fixture(scope="module", params=range(len(SETTINGS)))
def network_costs(request) -> tuple[CellCosts, dict, tuple[int, int, int]]:
    network, input_size = SETTINGS[request.param]
    return CellCosts(7, input_size, 5, **network), network, input_size


@settings(max_examples=15, deadline=None)
@given(cell=cells(max_blocks=5))
def test_costs_equal_the_built_network(network_costs, cell):
    costs, network, input_size = network_costs
    built = build_network(cell, 7, in_channels=input_size[0], **network)
    got = costs.of_cells([cell])
    assert int(got["params"][0]) == built.num_parameters
    assert int(got["macs"][0]) == count_macs(built, input_size)


def test_pnasnet5_cifar_costs_match_the_published_network():
    costs = CellCosts(10, (3, 32, 32), 5, num_cells=3, filters=48)
    got = costs.of_cells([GENOTYPES["pnasnet5"]])
    assert (int(got["params"][0]), int(got["macs"][0])) == (3_189_082, 574_891_392)  # README's table


def test_cells_beyond_max_blocks_are_refused():
    costs = CellCosts(10, (1, 8, 8), 1, num_cells=1, filters=4)
    with pytest.raises(ValueError, match="up to 1"):
        costs.of_cells([GENOTYPES["pnasnet5"]])
