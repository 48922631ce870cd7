from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from pnas.errors import GenotypeError
from pnas.search.spaces.nasbench201 import NB201_OPS, NASBench201Space, NB201Cell, nb201_level_cells
from surrogate import encode_cells

SHARED_TABLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "nasbench201" / "cifar10.csv"


def test_level_sizes_are_5_125_15625_and_cells_are_distinct():
    for level, size in ((1, 5), (2, 125), (3, 15_625)):
        cells = nb201_level_cells(level)
        assert len(cells) == len(set(cells)) == size
        assert {cell.level for cell in cells} == {level}


def test_level_1_and_2_pass_their_last_node_through_to_the_output():
    (cell,) = [c for c in nb201_level_cells(1) if c.chosen == ("nor_conv_3x3",)]
    assert cell.to_arch() == "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|none~0|none~1|skip_connect~2|"
    child = NB201Cell.from_chosen(("nor_conv_3x3", "avg_pool_3x3", "nor_conv_1x1"))
    assert child.level == 2
    assert child.to_arch() == "|nor_conv_3x3~0|+|avg_pool_3x3~0|nor_conv_1x1~1|+|none~0|none~1|skip_connect~2|"


def test_every_partial_cell_is_a_valid_full_cell_with_the_same_architecture():
    for level in (1, 2):
        for cell in nb201_level_cells(level):
            full = NB201Cell.from_arch(cell.to_arch())
            assert full.level == 3 and full == cell and hash(full) == hash(cell)
            assert full.edges[: len(cell.chosen)] == cell.chosen
            assert len(cell.to_tokens()) == 6


def test_children_keep_the_parents_choices_and_include_the_parent_itself():
    parent = NB201Cell.from_chosen(("skip_connect", "nor_conv_3x3", "none"))
    children = parent.children()
    assert len(children) == 125
    assert all(child.chosen[:3] == parent.chosen and child.level == 3 for child in children)
    assert parent in children  # node 3 = skip(node 2) is one of the choices
    assert children[0].children() == []


def test_restricted_ops_shrink_every_level():
    ops = ("none", "skip_connect", "nor_conv_3x3")
    assert [len(nb201_level_cells(level, ops)) for level in (1, 2, 3)] == [3, 27, 729]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "|nor_conv_3x3~0|",
        "|conv~0|+|none~0|none~1|+|none~0|none~1|none~2|",
        "|none~1|+|none~0|none~1|+|none~0|none~1|none~2|",
    ],
)
def test_malformed_architectures_are_rejected(text):
    with pytest.raises(GenotypeError):
        NB201Cell.from_arch(text)


def test_a_partial_cell_must_pass_through():
    with pytest.raises(GenotypeError, match="pass through"):
        NB201Cell(("nor_conv_3x3",) * 6, level=1)


@pytest.mark.skipif(not SHARED_TABLE.is_file(), reason="NAS-Bench-201 table not in ../shared/data")
def test_every_cell_of_every_level_is_in_the_real_table():
    with SHARED_TABLE.open(newline="") as handle:
        archs = {row["arch"] for row in csv.DictReader(handle)}
    assert len(archs) == 15_625
    for level in (1, 2, 3):
        assert {cell.to_arch() for cell in nb201_level_cells(level)} <= archs
    assert set(NB201_OPS) == {op for arch in archs for op in NB201Cell.from_arch(arch).edges}


def test_a_table_cost_prices_cells_and_encoded_children_as_the_table_does(tmp_path):
    from pnas.benchmark.nb201_table import NB201TableCost
    from pnas.benchmark.table import BenchmarkTable
    from pnas.errors import ConfigError
    from pnas.search.spaces.nasbench201 import NASBench201Space
    from tests.benchmark.tables import write_table

    ops = ("none", "skip_connect", "nor_conv_3x3")
    table = BenchmarkTable(write_table(tmp_path / "table.csv", ops))
    cost = NB201TableCost(table, "params_m")
    space = NASBench201Space(ops)
    tokens, child_at = space.encode_children(nb201_level_cells(2, ops)[:4])
    priced = cost(tokens)["params_m"]
    assert len(priced) == len(tokens) == 4 * 27
    assert priced.tolist() == [table.value(child_at(row), "params_m") for row in range(len(tokens))]
    assert cost.of_cell(child_at(5)) == table.value(child_at(5), "params_m")
    assert (cost.minimum, cost.maximum) == (0.0, 0.6)
    assert np.isnan(cost.of_cell(NB201Cell(("nor_conv_1x1",) * 6)))  # not in the table: unknown
    with pytest.raises(ConfigError, match="no column 'latency'"):
        NB201TableCost(table, "latency")


def test_live_edges_drop_what_carries_nothing_to_the_output():
    # node 1 is cut from the input (its only edge is none), so its conv to the output carries nothing
    cell = NB201Cell.from_arch("|none~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|nor_conv_1x1~1|avg_pool_3x3~2|")
    assert cell.live_edges == ("none", "nor_conv_3x3", "none", "skip_connect", "none", "avg_pool_3x3")
    # node 2 reaches nothing: the output's edges from it and into it are dead
    cut = NB201Cell.from_arch("|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|none~2|")
    assert cut.live_edges == ("nor_conv_3x3", "none", "none", "skip_connect", "nor_conv_1x1", "none")
    full = NB201Cell.from_arch(
        "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|skip_connect~0|nor_conv_1x1~1|skip_connect~2|"
    )
    assert full.live_edges == full.edges


def test_the_surrogate_reads_cells_that_compute_alike_as_one_and_costs_read_every_edge():
    space = NASBench201Space()
    cells = nb201_level_cells(3)
    tokens = encode_cells([cell.to_tokens() for cell in cells], space.num_inputs, space.num_ops)
    seen = space.for_surrogate(tokens)
    assert seen.blocks[:, :, 1].tolist() == [[NB201_OPS.index(op) for op in cell.live_edges] for cell in cells]
    assert (seen.blocks[:, :, 1] == seen.blocks[:, :, 3]).all()
    assert (tokens.blocks[:, :, 1] == [[NB201_OPS.index(op) for op in cell.edges] for cell in cells]).all()
    cut_off = [row for row, cell in enumerate(cells) if cell.edges[3:] == ("none", "none", "none")]
    assert len(cut_off) == 125 and not seen.blocks[cut_off][:, :, 1].any()
    assert 1 < len({row.tobytes() for row in seen.blocks}) < len(cells)
