"""Accuracy predictors for cell-structured search spaces.

A cell is a sequence of blocks ``(input_1, op_1, input_2, op_2)`` of small non-negative integers; vocabulary sizes
are given at construction and cells of different lengths may be mixed in one call. This package knows nothing of
``pnas``: any space of that shape can use it::

    model = LSTMSurrogate(num_inputs=6, num_ops=8).fit(cells, accuracies)  # accuracies in [0, 1]
    mean, std = model.predict(other_cells)
"""

from __future__ import annotations

from surrogate.encoding import CellTokens, encode_cells
from surrogate.ensemble import EnsembleSurrogate
from surrogate.lstm import LSTMSurrogate
from surrogate.mlp import MLPSurrogate

__all__ = ["CellTokens", "EnsembleSurrogate", "LSTMSurrogate", "MLPSurrogate", "encode_cells"]
