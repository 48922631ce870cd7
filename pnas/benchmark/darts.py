"""The DARTS cell space (NAS-Bench-301 sample) as surrogate token sequences.

A DARTS architecture has a normal and a reduction cell, each of 4 nodes with two ``[input, op]`` edges: edges
``2k`` and ``2k + 1`` feed node ``k``, i.e. one PNAS-style block ``(input_1, op_1, input_2, op_2)``. Input 0 is the
cell c-2, 1 the cell c-1, ``j >= 2`` node ``j - 2``. An architecture becomes 8 blocks, the 4 normal ones then the
4 reduction ones; the reduction blocks' inputs are offset by 6 and their ops by the number of ops (7), so a
sequence model tells the two cell types apart: 12 input tokens, 14 op tokens.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pnas.benchmark.predictors import QualityData
from pnas.errors import ConfigError, DataNotFoundError, brief
from pnas.files import parse_user_json, read_user_text

__all__ = ["DARTS_INPUTS", "darts_tokens", "load_darts_sample"]

#: Inputs of one DARTS cell: the two previous cells and the 4 nodes.
DARTS_INPUTS = 6


def darts_tokens(normal: Sequence[Sequence[int]], reduce: Sequence[Sequence[int]], num_ops: int = 7) -> list:
    """One architecture's 8 blocks: the normal cell's 4, then the reduction cell's 4 with offset tokens.

    Args:
        normal: 8 ``[input, op]`` edges of the normal cell.
        reduce: 8 ``[input, op]`` edges of the reduction cell.
        num_ops: Operations of one cell (7 in DARTS without ``none``); reduction ops are offset by it.

    Returns:
        8 tuples ``(input_1, op_1, input_2, op_2)``: inputs in ``0 .. 11``, ops in ``0 .. 2 * num_ops - 1``.

    Raises:
        ConfigError: A cell is not a list of 8 edges, an edge is not two integers, or an input or op is out of
            range for its node.
    """
    blocks = []
    for offset, (name, edges) in enumerate((("normal", normal), ("reduce", reduce))):
        if not isinstance(edges, (list, tuple)):
            raise ConfigError(f"a DARTS {name} cell has 8 [input, op] edges in a list, got {brief(edges)}")
        if len(edges) != 8:
            raise ConfigError(f"a DARTS {name} cell has 8 [input, op] edges, got {len(edges)}")
        for index, edge in enumerate(edges):
            _check_edge(edge, index, name, num_ops)
        shifted = [(source + offset * DARTS_INPUTS, op + offset * num_ops) for source, op in edges]
        blocks += [(*shifted[2 * k], *shifted[2 * k + 1]) for k in range(4)]
    return blocks


def _check_edge(edge: object, index: int, name: str, num_ops: int) -> None:
    """Refuse edge ``index`` of cell ``name`` unless it is ``[input, op]``, two integers in range for its node."""
    node = index // 2
    allowed = f"node {node} takes inputs 0..{node + 1} and ops 0..{num_ops - 1}"
    if not isinstance(edge, (list, tuple)) or len(edge) != 2 or not all(_is_integer(value) for value in edge):
        raise ConfigError(f"{name} edge {index} is {brief(edge)}: an edge is [input, op], two integers; {allowed}")
    source, op = edge
    if not (0 <= source < node + 2 and 0 <= op < num_ops):
        raise ConfigError(f"{name} edge {index} is {brief(list(edge))}: {allowed}")


def _is_integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def load_darts_sample(path: str | Path) -> QualityData:
    """The DARTS architectures of a NAS-Bench-301 sample file (``darts_dev.json``) with their results.

    Args:
        path: JSON ``{"ops": [...], "cells": [{"normal", "reduce", "val_accuracy", "params", "flops"}, ...]}``.

    Returns:
        Cells as :func:`darts_tokens` blocks (``num_inputs=12``, ``num_ops=14``), targets ``val_accuracy / 100``,
        side features ``"params"`` (millions) and ``"flops"`` (millions).

    Raises:
        DataNotFoundError: The file does not exist.
        ConfigError: The file cannot be read as UTF-8 text, is not JSON, or is not a sample in this format.
    """
    text = read_user_text(
        path, "DARTS sample", ConfigError, missing=DataNotFoundError, hint="see ../shared/data/nasbench301/README.md"
    )
    ops, entries = _sample_lists(parse_user_json(text, str(path), ConfigError), path)
    cells, results = [], []
    for row, entry in enumerate(entries):
        try:
            cells.append(darts_tokens(_field(entry, "normal"), _field(entry, "reduce"), len(ops)))
            results.append([_finite_number(_field(entry, name), name) for name in _RESULTS])
        except ConfigError as error:
            raise ConfigError(f"{path}: cell {row}: {error}") from None
    if not cells:
        raise ConfigError(f"{path} holds no cells")
    accuracy, params, flops = np.array(results).T
    features = {"params": params, "flops": flops}
    return QualityData(cells, accuracy / 100.0, 2 * DARTS_INPUTS, 2 * len(ops), features)


#: The results each cell of a sample has: accuracy in percent, parameters and FLOPs in millions.
_RESULTS = ("val_accuracy", "params", "flops")

#: What each cell of a sample holds: its two cells' edges and its results.
_FIELDS = ("normal", "reduce", *_RESULTS)


def _sample_lists(document: Any, path: str | Path) -> tuple[list, list]:
    """The ``ops`` and ``cells`` lists of a sample's JSON document.

    Raises:
        ConfigError: The document is not an object holding those two lists.
    """
    if not isinstance(document, dict):
        got = f"a {type(document).__name__}" if isinstance(document, (list, str)) else brief(document)
        raise ConfigError(
            f"{path} is not a DARTS sample: expected a JSON object with 'ops' and 'cells' lists, got {got}"
        )
    ops, cells = document.get("ops"), document.get("cells")
    if not (isinstance(ops, list) and ops and all(isinstance(op, str) for op in ops)):
        given = _given(document, "ops")
        raise ConfigError(f"{path} is not a DARTS sample: its 'ops' must be a list of operation names, got {given}")
    if not isinstance(cells, list):
        given = _given(document, "cells")
        raise ConfigError(f"{path} is not a DARTS sample: its 'cells' must be a list of cells, got {given}")
    return ops, cells


def _given(document: dict, key: str) -> str:
    """What the document holds under ``key``, for a message."""
    return brief(document[key]) if key in document else "nothing"


def _field(entry: Any, key: str) -> Any:
    """Field ``key`` of one cell of a sample.

    Raises:
        ConfigError: The cell is not a JSON object, or it has no ``key``.
    """
    if not isinstance(entry, dict):
        raise ConfigError(f"a cell is an object with {', '.join(_FIELDS)}, got {brief(entry)}")
    if key not in entry:
        raise ConfigError(f"it has no {key!r}; a cell has {', '.join(_FIELDS)}")
    return entry[key]


def _finite_number(value: Any, name: str) -> float:
    """``value`` as a float, refused unless it is a finite JSON number (not a string, a bool or NaN).

    Raises:
        ConfigError: ``"'<name>' must be a finite number, got <value>"``.
    """
    number = float(value) if isinstance(value, float) or (_is_integer(value) and abs(value) < 1e300) else math.nan
    if not math.isfinite(number):
        raise ConfigError(f"{brief(name)} must be a finite number, got {brief(value)}")
    return number
