from __future__ import annotations

import itertools
import subprocess
import sys

from pnas.space import OPS, Block, Cell, distinct_blocks, expand, expand_beam, num_distinct_blocks, one_block_cells
from tests.conftest import random_cell


def brute_force_children(parent: Cell) -> set[Cell]:
    """Every ordered (input_1, op_1, input_2, op_2) next block, deduplicated through the canonical form."""
    position = parent.num_blocks + 1
    halves = list(itertools.product(range(position + 1), OPS))
    return {Cell(parent.blocks + (Block(*a, *b),)) for a, b in itertools.product(halves, halves)}


def test_136_distinct_one_block_cells():
    cells = one_block_cells()
    assert len(cells) == 136 == len(set(cells))
    ordered = list(itertools.product(range(2), OPS, range(2), OPS))
    assert len(ordered) == 256  # |B_1| = 2^2 * 8^2
    assert set(cells) == {Cell((block,)) for block in ordered}


def test_distinct_block_counts():
    for position in range(1, 6):
        assert len(distinct_blocks(position)) == num_distinct_blocks(position) == len(set(distinct_blocks(position)))
    assert [num_distinct_blocks(b) for b in range(1, 6)] == [136, 300, 528, 820, 1176]


def test_b2_expansion_equals_brute_force_over_the_whole_space():
    expanded = expand_beam(one_block_cells())
    ordered = itertools.product(range(2), OPS, range(2), OPS, range(3), OPS, range(3), OPS)
    brute = {Cell(((a, b, c, d), (e, f, g, h))) for a, b, c, d, e, f, g, h in ordered}  # 147,456 ordered cells
    assert len(expanded) == len(set(expanded)) == len(brute) == 40_800


def test_b3_expansion_equals_brute_force_per_parent(rng):
    parents = [random_cell(rng, 2) for _ in range(20)]
    for parent in parents:
        children = expand(parent)
        assert len(children) == 528 == len(set(children))
        assert set(children) == brute_force_children(parent)  # 1,024 ordered third blocks each
        assert all(child.blocks[:2] == parent.blocks for child in children)


def test_b3_beam_expansion_matches_brute_force(rng):
    beam = list(dict.fromkeys(random_cell(rng, 2) for _ in range(30)))
    children = expand_beam(beam)
    assert len(children) == len(beam) * 528
    assert set(children) == set().union(*(brute_force_children(parent) for parent in beam))


def test_expand_beam_deduplicates_repeated_and_symmetric_parents():
    parent = Cell(((0, "identity", 1, "sep_conv_3x3"),))
    mirror = Cell(((1, "sep_conv_3x3", 0, "identity"),))
    assert len(expand_beam([parent, mirror, parent])) == 300


def test_expanded_children_are_valid_cells(rng):
    parent = random_cell(rng, 4)
    for child in expand(parent)[::97]:
        assert Cell(child.blocks) == child
        assert Cell.from_string(child.to_string()) == child


def test_space_and_package_import_no_torch():
    code = "import sys, pnas, pnas.space; assert 'torch' not in sys.modules, 'importing pnas imported torch'"
    subprocess.run([sys.executable, "-c", code], check=True)
