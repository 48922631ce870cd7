"""The DARTS cell space (NAS-Bench-301 sample) as surrogate token sequences.

A DARTS architecture has a normal and a reduction cell, each of 4 nodes with two ``[input, op]`` edges: edges
``2k`` and ``2k + 1`` feed node ``k``, i.e. one PNAS-style block ``(input_1, op_1, input_2, op_2)``. Input 0 is the
cell c-2, 1 the cell c-1, ``j >= 2`` node ``j - 2``. An architecture becomes 8 blocks, the 4 normal ones then the
4 reduction ones; the reduction blocks' inputs are offset by 6 and their ops by the number of ops (7), so a
sequence model tells the two cell types apart: 12 input tokens, 14 op tokens.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from pnas.benchmark.predictors import QualityData
from pnas.errors import ConfigError, DataNotFoundError

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
        ConfigError: A cell does not have 8 edges, or an input or op is out of range for its node.
    """
    blocks = []
    for offset, (name, edges) in enumerate((("normal", normal), ("reduce", reduce))):
        if len(edges) != 8:
            raise ConfigError(f"a DARTS {name} cell has 8 [input, op] edges, got {len(edges)}")
        for index, edge in enumerate(edges):
            node, (source, op) = index // 2, edge
            if not (0 <= source < node + 2 and 0 <= op < num_ops):
                allowed = f"node {node} takes inputs 0..{node + 1} and ops 0..{num_ops - 1}"
                raise ConfigError(f"{name} edge {index} is {list(edge)}: {allowed}")
        shifted = [(source + offset * DARTS_INPUTS, op + offset * num_ops) for source, op in edges]
        blocks += [(*shifted[2 * k], *shifted[2 * k + 1]) for k in range(4)]
    return blocks


def load_darts_sample(path: str | Path) -> QualityData:
    """The DARTS architectures of a NAS-Bench-301 sample file (``darts_dev.json``) with their results.

    Args:
        path: JSON ``{"ops": [...], "cells": [{"normal", "reduce", "val_accuracy", "params", "flops"}, ...]}``.

    Returns:
        Cells as :func:`darts_tokens` blocks (``num_inputs=12``, ``num_ops=14``), targets ``val_accuracy / 100``,
        side features ``"params"`` (millions) and ``"flops"`` (millions).

    Raises:
        DataNotFoundError: The file does not exist.
        ConfigError: The file is not a sample in this format.
    """
    path = Path(path)
    if not path.is_file():
        raise DataNotFoundError(f"DARTS sample {path} not found (see ../shared/data/nasbench301/README.md)")
    try:
        document = json.loads(path.read_text())
        num_ops, entries = len(document["ops"]), document["cells"]
        cells, columns = [], {"val_accuracy": [], "params": [], "flops": []}
        for row, entry in enumerate(entries):
            try:
                cells.append(darts_tokens(entry["normal"], entry["reduce"], num_ops))
            except ConfigError as error:
                raise ConfigError(f"{path}: cell {row}: {error}") from None
            for name, values in columns.items():
                values.append(float(entry[name]))
    except ConfigError:
        raise
    except (KeyError, TypeError, ValueError) as error:  # JSONDecodeError is a ValueError
        raise ConfigError(f"{path} is not a DARTS sample ({type(error).__name__}: {error})") from None
    if not cells:
        raise ConfigError(f"{path} holds no cells")
    targets = np.array(columns["val_accuracy"]) / 100.0
    features = {"params": np.array(columns["params"]), "flops": np.array(columns["flops"])}
    return QualityData(cells, targets, 2 * DARTS_INPUTS, 2 * num_ops, features)
