from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pnas.space import GENOTYPES, OPS, Block, Cell, GenotypeError, load_genotype, resolve_genotype, save_genotype
from tests.conftest import cells, permission_denied


def test_block_halves_are_canonical():
    swapped = Block(1, "max_pool_3x3", 0, "sep_conv_3x3")
    straight = Block(0, "sep_conv_3x3", 1, "max_pool_3x3")
    assert swapped == straight
    assert hash(swapped) == hash(straight)
    assert swapped.as_tuple() == (0, "sep_conv_3x3", 1, "max_pool_3x3")


def test_cells_equal_up_to_half_swaps_hash_equal():
    a = Cell(((0, "identity", 1, "sep_conv_5x5"), (2, "max_pool_3x3", 1, "avg_pool_3x3")))
    b = Cell(((1, "sep_conv_5x5", 0, "identity"), (1, "avg_pool_3x3", 2, "max_pool_3x3")))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1


def test_block_order_matters():
    first = (0, "identity", 1, "identity")
    second = (1, "sep_conv_3x3", 1, "sep_conv_3x3")
    assert Cell((first, second)) != Cell((second, first))


@given(cells())
def test_string_round_trip(cell):
    assert Cell.from_string(cell.to_string()) == cell
    assert Cell.from_string(str(cell)).to_string() == cell.to_string()


@given(cells())
def test_json_round_trip(cell):
    assert Cell.from_json(cell.to_json()) == cell
    assert Cell.from_dict(json.loads(cell.to_json(indent=None))) == cell


def test_string_form_is_readable():
    cell = Cell(((1, "sep_conv_3x3", 0, "identity"), (2, "max_pool_3x3", 1, "dil_conv_3x3")))
    assert cell.to_string() == "identity(c-2) + sep_conv_3x3(c-1); dil_conv_3x3(c-1) + max_pool_3x3(b1)"


def test_tokens_use_op_indices():
    cell = Cell(((0, "sep_conv_3x3", 1, "dil_conv_3x3"),))
    assert cell.to_tokens() == [(0, 0, 1, 7)]


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Block(0, "conv_9x9", 1, "identity"), "unknown operation 'conv_9x9'"),
        (lambda: Block(-1, "identity", 1, "identity"), "must be >= 0"),
        (lambda: Block(0, "identity", 1.5, "identity"), "must be an integer"),
        (lambda: Block(True, "identity", 1, "identity"), "must be an integer"),
        (lambda: Cell(()), "at least one block"),
        (lambda: Cell(((0, "identity", 2, "identity"),)), "block 1 input_2=2 (b1) is out of range"),
        (lambda: Cell(((0, "identity", 1, "identity"), (3, "identity", 0, "identity"))), "out of range"),
        (lambda: Cell(((0, "identity", 1),)), "block 1 must be (input_1, op_1, input_2, op_2)"),
        (lambda: Cell(((0, "nope", 1, "identity"),)), "block 1: unknown operation 'nope'"),
        (lambda: Cell("identity(c-1) + identity(c-2)"), "a cell is a sequence of blocks"),
        (lambda: Cell.from_string(""), "at least one block"),
        (lambda: Cell.from_string("identity(c-1)"), "expected 'op(input) + op(input)'"),
        (lambda: Cell.from_string("identity(c-1) + identity c-2"), "expected 'op(input)'"),
        (lambda: Cell.from_string("identity(c-3) + identity(c-2)"), "unknown input 'c-3'"),
        (lambda: Cell.from_string("identity(b1) + identity(c-2)"), "out of range"),
        (lambda: Cell.from_string("warp(c-1) + identity(c-2)"), "unknown operation 'warp'"),
        (lambda: Cell.from_string("identity(c-1) + identity(c-2);"), "cannot parse block ''"),
        (lambda: Cell.from_json("{not json"), "not valid JSON"),
        (lambda: Cell.from_json('{"cells": []}'), "'blocks' list"),
        (lambda: Cell.from_json('{"blocks": [[0, ["x"], 1, "identity"]]}'), "unknown operation ['x']"),
        (lambda: Cell.from_json('{"format": "pnas.cell/v9", "blocks": []}'), "unsupported genotype format"),
        (lambda: Cell.from_json('{"blocks": [[0, "identity", "c-1", "identity"]]}'), "must be an integer"),
        (lambda: resolve_genotype("pnasnet7"), "unknown genotype 'pnasnet7'"),
        (lambda: resolve_genotype("missing.json"), "cannot read genotype file"),
        (lambda: resolve_genotype(42), "a genotype is a name"),
    ],
)
def test_invalid_genotypes_raise_genotype_error(build, message):
    with pytest.raises(GenotypeError) as error:
        build()
    assert message in str(error.value)
    assert isinstance(error.value, ValueError)


def test_pnasnet5_is_the_published_cell():
    cell = GENOTYPES["pnasnet5"]
    assert cell.num_blocks == 5
    assert cell.blocks[0] == Block(0, "sep_conv_5x5", 0, "max_pool_3x3")
    assert cell.blocks[3] == Block(4, "sep_conv_3x3", 1, "max_pool_3x3")
    assert cell.blocks[4] == Block(0, "sep_conv_3x3", 1, "identity")


def test_resolve_genotype_accepts_every_form(tmp_path):
    cell = GENOTYPES["pnasnet5"]
    path = save_genotype(cell, tmp_path / "cell.json")
    assert resolve_genotype("pnasnet5") == cell
    assert resolve_genotype(str(path)) == cell
    assert resolve_genotype(path) == cell
    assert resolve_genotype(cell.to_string()) == cell
    assert resolve_genotype(cell) is cell


def test_corrupt_genotype_file_names_the_file(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"blocks": [[0, "identity", 9, "identity"]]}')
    with pytest.raises(GenotypeError, match="bad.json: block 1 input_2=9"):
        resolve_genotype(str(path))


@given(st.text(max_size=80))
def test_parsing_any_text_returns_a_cell_or_raises_genotype_error(text):
    try:
        cell = Cell.from_string(text)
    except GenotypeError:
        return
    assert Cell.from_string(cell.to_string()) == cell


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 9)
    | st.floats(allow_nan=False)
    | st.sampled_from(OPS)
    | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(["blocks", "format", "x"]), inner),
    max_leaves=20,
)


@given(JSON_VALUES)
def test_loading_any_json_returns_a_cell_or_raises_genotype_error(value):
    try:
        cell = Cell.from_json(json.dumps(value))
    except GenotypeError:
        return
    assert Cell.from_json(cell.to_json()) == cell


# Bad input of every kind gives a one-line GenotypeError that names it, never a raw Python error.

VALID_TEXT = "identity(c-2) + sep_conv_3x3(c-1)"


def refused(build) -> str:
    """The message of the GenotypeError ``build()`` raises: one line, short enough to read."""
    with pytest.raises(GenotypeError) as error:
        build()
    message = str(error.value)
    assert "\n" not in message and len(message) < 400, message
    return message


def test_a_binary_genotype_file_is_refused_by_name(tmp_path):
    path = tmp_path / "cell.json"
    path.write_bytes(b"\xff\xfe\x00\x81\x00binary")
    assert "cell.json" in refused(lambda: resolve_genotype(str(path))) and "not UTF-8" in refused(
        lambda: load_genotype(path)
    )


def test_deeply_nested_genotype_json_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    assert "deep.json" in refused(lambda: load_genotype(path))
    assert "nests too deeply" in refused(lambda: Cell.from_json('{"blocks": ' * 100_000))


def test_a_directory_an_unreadable_file_or_a_nul_in_the_path_is_refused(tmp_path, monkeypatch):
    (tmp_path / "dir.json").mkdir()
    assert "is a directory, not a file" in refused(lambda: resolve_genotype(str(tmp_path / "dir.json")))
    assert "the path contains a NUL byte" in refused(lambda: resolve_genotype("cell\x00.json"))
    path = save_genotype(GENOTYPES["pnasnet5"], tmp_path / "cell.json")
    monkeypatch.setattr(Path, "read_bytes", permission_denied)
    assert "permission denied" in refused(lambda: load_genotype(path))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Cell.from_json(f'[[{"9" * 5000}, "identity", 1, "identity"]]'), "5000 digits"),
        (lambda: Cell.from_json(f'[[0, "identity", {"9" * 4000}, "identity"]]'), "out of range"),
        (lambda: Cell.from_json('[[0, "identity", 1, ' + "[" * 900 + "]" * 900 + "]]"), "unknown operation"),
        (lambda: Cell.from_json('[[0, "identity", 1, "' + "x" * 10_000 + '"]]'), "unknown operation"),
        (lambda: Cell.from_string("x" * 100_000), "cannot parse block"),
        (lambda: Cell.from_string("identity(b²) + identity(c-2)"), "unknown input 'b²'"),
        (lambda: Cell.from_string("identity(b١) + identity(c-2)"), "unknown input 'b١'"),
        (lambda: Cell.from_string(f"identity(b{'9' * 5000}) + identity(c-2)"), "unknown input"),
        (lambda: Block.from_string(None), "a block string must be str, got NoneType"),
        (lambda: Block.from_string(b"identity(c-1) + identity(c-2)"), "a block string must be str, got bytes"),
        (lambda: load_genotype(None), "must be a path, got NoneType"),
    ],
)
def test_odd_genotype_input_gives_a_short_genotype_error(build, message):
    assert message in refused(build)


def test_a_long_unclosed_half_is_refused_at_once():
    start = time.perf_counter()
    refused(lambda: Cell.from_string("identity(" + " " * 2000 + "x + identity(c-1)"))
    assert time.perf_counter() - start < 0.5  # the old regular expression backtracked for seconds
