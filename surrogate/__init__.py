"""Accuracy predictors for cell-structured search spaces.

A cell is a sequence of blocks ``(input_1, op_1, input_2, op_2)`` of small non-negative integers; vocabulary sizes
are given at construction and cells of different lengths may be mixed in one call. This package knows nothing of
``pnas``: any space of that shape can use it::

    model = LSTMSurrogate(num_inputs=6, num_ops=8).fit(cells, accuracies)  # accuracies in [0, 1]
    mean, std = model.predict(other_cells)

Side features known before training (parameter count, ...) are optional: ``fit(cells, y, features=X)``,
``predict(cells, features=X)``.
"""

from __future__ import annotations

from surrogate.encoding import CellTokens, encode_cells
from surrogate.ensemble import EnsembleSurrogate
from surrogate.lstm import LSTMSurrogate
from surrogate.mlp import MLPSurrogate

#: Surrogate name -> class; every entry takes ``(num_inputs, num_ops, seed=...)`` and passes the conformance suite.
SURROGATES: dict[str, type[EnsembleSurrogate]] = {"lstm": LSTMSurrogate, "mlp": MLPSurrogate}

__all__ = ["SURROGATES", "CellTokens", "EnsembleSurrogate", "LSTMSurrogate", "MLPSurrogate", "encode_cells"]
