"""Fuzz tests of every parser of user input: any input gives a value or the parser's documented error, nothing else.

Genotype text and JSON, genotype files, benchmark tables, DARTS samples and the command-line YAML check each get
arbitrary input and input built from near-valid pieces; what parses round-trips. Hypothesis forbids
function-scoped fixtures in ``@given`` tests, so files go to one directory per module (``tmp_path_factory``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pnas.benchmark.darts import load_darts_sample
from pnas.benchmark.nb201_table import nasbench201_space
from pnas.benchmark.predictors import QualityData
from pnas.benchmark.table import BenchmarkTable
from pnas.config_files import check_command_line, check_config_file
from pnas.errors import ConfigError, GenotypeError
from pnas.search.spaces.nasbench201 import NB201_OPS, NB201Cell
from pnas.space import OPS, Block, Cell, load_genotype, resolve_genotype
from tests.conftest import cells

FUZZ = settings(max_examples=150, deadline=None)
FILES = settings(max_examples=80, deadline=None)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def one_line(error: Exception) -> None:
    """Our messages are one line of readable length, whatever the input."""
    message = str(error)
    assert "\n" not in message and len(message) < 600, message


def parse_cell(parse, value) -> Cell | None:
    """``parse(value)``: a Cell or a GenotypeError (None), never another exception."""
    try:
        cell = parse(value)
    except GenotypeError as error:
        one_line(error)
        return None
    assert isinstance(cell, Cell)
    assert Cell.from_string(str(cell)) == cell and Cell.from_json(cell.to_json()) == cell
    return cell


# Genotype text ------------------------------------------------------------------------------------------------

INPUT_NAMES = ["c-2", "c-1", "b1", "b2", "b3", "b0", "b01", "b١", "b²", "c-3", " b1 ", "b" + "9" * 5000, ""]
TOKENS = st.sampled_from([*OPS, "warp", "", " ", "+", ";", "(", ")", "\x00", "\n", "+ ", "; ", *INPUT_NAMES])
HALVES = st.builds(
    lambda op, name, spaces: f"{spaces}{op}{spaces}({spaces}{name}{spaces}){spaces}",
    st.sampled_from([*OPS, "warp", "", "sep_conv_3x3 x"]),
    st.sampled_from(INPUT_NAMES),
    st.sampled_from(["", " ", "\t", "\x00"]),
)
NEAR_VALID_TEXT = st.lists(st.builds("{} + {}".format, HALVES, HALVES) | HALVES, min_size=0, max_size=6).map("; ".join)


@FUZZ
@given(st.text(max_size=200) | st.lists(TOKENS, max_size=30).map("".join) | NEAR_VALID_TEXT)
def test_cell_text_parses_or_raises_genotype_error(text):
    parse_cell(Cell.from_string, text)
    try:
        assert isinstance(Block.from_string(text), Block)
    except GenotypeError as error:
        one_line(error)


@FUZZ
@given(cells())
def test_valid_cells_round_trip_through_text_and_json(cell):
    assert Cell.from_string(str(cell)) == cell
    assert Cell.from_json(cell.to_json()) == cell
    assert Cell.from_dict(json.loads(cell.to_json(indent=None))) == cell


# Genotype JSON ------------------------------------------------------------------------------------------------

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-3, 9)
    | st.integers(-(10**100), 10**100)
    | st.floats()
    | st.sampled_from([*OPS, "pnas.cell/v1", "c-1"])
    | st.text(max_size=8)
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.sampled_from(["blocks", "format", "cell"]), inner),
    max_leaves=25,
)
BLOCKS = st.lists(st.lists(SCALARS | st.sampled_from(OPS) | st.integers(0, 3), min_size=3, max_size=5), max_size=4)
NEAR_VALID_JSON = BLOCKS | st.builds(lambda blocks, fmt: {"format": fmt, "blocks": blocks}, BLOCKS, JSON_VALUES)
DEEP = st.builds(lambda depth, close, head: head + "[" * depth + "]" * close, st.integers(0, 5000),
                 st.integers(0, 5000), st.sampled_from(["", '{"blocks": ', "[[0, "]))  # fmt: skip


@FUZZ
@given(st.text(max_size=200) | DEEP | (JSON_VALUES | NEAR_VALID_JSON).map(json.dumps))
def test_cell_json_parses_or_raises_genotype_error(text):
    parse_cell(Cell.from_json, text)


@FUZZ
@given(JSON_VALUES | NEAR_VALID_JSON)
def test_cell_from_dict_takes_any_json_value(value):
    parse_cell(Cell.from_dict, value)


@FILES
@given(st.binary(max_size=300) | (JSON_VALUES | NEAR_VALID_JSON).map(lambda value: json.dumps(value).encode()))
def test_genotype_files_load_or_raise_genotype_error(folder, data):
    path = folder / "cell.json"
    path.write_bytes(data)
    parse_cell(load_genotype, path)
    parse_cell(resolve_genotype, str(path))


@FUZZ
@given(st.text(max_size=60) | st.sampled_from(["pnasnet5", "missing.json", ".json", "/.json", "a\x00.json"]))
def test_resolving_any_genotype_spec_gives_a_cell_or_genotype_error(spec):
    parse_cell(resolve_genotype, spec)


# Benchmark tables ---------------------------------------------------------------------------------------------

ARCHS = [NB201Cell(edges).to_arch() for edges in [("none",) * 6, ("skip_connect",) * 6, NB201_OPS + ("none",)]]
FIELDS = st.sampled_from([*ARCHS, "", " ", "1", "2.5", "nan", "-inf", "n/a", "x,y", 'q"uote']) | st.text(max_size=6)
ROWS = st.lists(st.lists(FIELDS, min_size=1, max_size=4), max_size=8)
HEADERS = st.lists(st.sampled_from(["arch", "val", "test", "val", ""]) | st.text(max_size=4), min_size=1, max_size=4)


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    handle = io.StringIO()
    csv.writer(handle).writerows([header, *rows])
    return handle.getvalue()


def read_table(path: Path) -> BenchmarkTable | None:
    """The table at ``path``, or None when it is refused with a ConfigError; every query answers or refuses."""
    try:
        table = BenchmarkTable(path)
    except ConfigError as error:
        one_line(error)
        return None
    assert len(table) == len(set(table.architectures)) >= 1
    for column in table.columns:
        try:
            values = table.column(column)
        except ConfigError as error:
            one_line(error)
            continue
        assert values.shape == (len(table),)
        assert all(table.value(arch, column) == values[i] or math.isnan(values[i])
                   for i, arch in enumerate(table.architectures))  # fmt: skip
    try:
        nasbench201_space(table)
    except ConfigError as error:
        one_line(error)
    return table


@FILES
@given(st.binary(max_size=400))
def test_any_bytes_make_a_table_or_a_config_error(folder, data):
    path = folder / "bytes.csv"
    path.write_bytes(data)
    read_table(path)


@FILES
@given(HEADERS, ROWS)
def test_random_rows_make_a_table_exactly_when_they_are_well_formed(folder, header, rows):
    assume(not header[0].startswith("\ufeff"))  # a leading byte-order mark is dropped, as from any UTF-8 file
    path = folder / "rows.csv"
    path.write_text(csv_text(header, rows))
    table = read_table(path)
    archs = [row[header.index("arch")].strip() for row in rows if "arch" in header and len(row) == len(header)]
    well_formed = (
        "arch" in header
        and len(set(header)) == len(header)
        and len(archs) == len(rows) >= 1
        and all(archs)
        and len(set(archs)) == len(archs)
        and "\0" not in csv_text(header, rows)
    )
    assert (table is not None) == well_formed
    if table is not None:
        assert table.architectures == archs


@FILES
@given(st.lists(st.sampled_from(ARCHS), min_size=2, max_size=6).filter(lambda archs: len(set(archs)) < len(archs)))
def test_a_repeated_architecture_is_always_refused_with_both_lines(folder, archs):
    path = folder / "repeats.csv"
    path.write_text(csv_text(["arch", "val"], [[arch, str(i)] for i, arch in enumerate(archs)]))
    first = next(arch for i, arch in enumerate(archs) if arch in archs[:i])
    lines = [i + 2 for i, arch in enumerate(archs) if arch == first][:2]
    with pytest.raises(ConfigError, match=f"twice, on lines {lines[0]} and {lines[1]}"):
        BenchmarkTable(path)


# DARTS samples ------------------------------------------------------------------------------------------------

EDGE_VALUES = st.integers(0, 3) | st.integers() | st.floats() | st.booleans() | st.none() | st.text(max_size=2)
EDGES = st.lists(st.lists(EDGE_VALUES, min_size=1, max_size=3) | EDGE_VALUES, min_size=7, max_size=9)
VALID_EDGES = st.lists(st.tuples(st.integers(0, 1), st.integers(0, 6)).map(list), min_size=8, max_size=8)
RESULTS = st.floats(0, 100) | st.floats() | st.integers(-(10**400), 10**400) | st.text(max_size=3) | st.none()
DARTS_CELLS = st.fixed_dictionaries(
    {"normal": VALID_EDGES | EDGES, "reduce": VALID_EDGES | EDGES, "val_accuracy": RESULTS, "params": RESULTS},
    optional={"flops": RESULTS},
)
DARTS_DOCUMENTS = st.fixed_dictionaries(
    {
        "ops": st.just(["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "a", "b", "c"])
        | st.lists(st.text(max_size=3), max_size=4)
        | JSON_VALUES,
        "cells": st.lists(DARTS_CELLS, min_size=1, max_size=3) | st.lists(DARTS_CELLS | JSON_VALUES, max_size=3),
    }
)
DARTS_JSON = (DARTS_DOCUMENTS | JSON_VALUES).map(lambda value: json.dumps(value).encode())


@FILES
@given(st.binary(max_size=300) | DEEP.map(str.encode) | DARTS_JSON)
def test_darts_samples_load_or_raise_config_error(folder, data):
    path = folder / "darts.json"
    path.write_bytes(data)
    try:
        sample = load_darts_sample(path)
    except ConfigError as error:
        one_line(error)
        return
    assert isinstance(sample, QualityData) and len(sample.cells) == len(sample.targets) >= 1
    assert np.isfinite(sample.targets).all() and np.isfinite(sample.features["flops"]).all()


# Command-line YAML --------------------------------------------------------------------------------------------

YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(["trainer", "model", "a"]), inner),
    max_leaves=15,
)


def config_check(check, *args) -> bool:
    """``check(*args)``: True when it passes, False on a ConfigError, never another exception."""
    try:
        check(*args)
    except ConfigError as error:
        one_line(error)
        return False
    return True


@FILES
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode) | DEEP.map(str.encode))
def test_any_config_file_passes_or_raises_config_error(folder, data):
    path = folder / "config.yaml"
    path.write_bytes(data)
    config_check(check_config_file, path)


@FILES
@given(YAML_VALUES)
def test_a_yaml_config_passes_exactly_when_it_is_a_mapping_with_a_trainer_mapping(folder, value):
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(value))
    expected = isinstance(value, dict) and isinstance(value.get("trainer", {}), dict)
    assert config_check(check_config_file, path) == expected


ARGUMENTS = st.sampled_from(["fit", "--config", "-c", "--config=", "--x="]) | st.text(max_size=30) | DEEP


@settings(max_examples=50, deadline=None)  # PyYAML looks 1,024 tokens ahead: 0.2 s a deeply nested value
@given(st.lists(ARGUMENTS, max_size=5))
def test_any_command_line_passes_or_raises_config_error(argv):
    config_check(check_command_line, argv)
