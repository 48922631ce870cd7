"""Accuracy predictors for cell-structured search spaces.

A cell is a sequence of blocks ``(input_1, op_1, input_2, op_2)`` of small non-negative integers; vocabulary sizes
are given at construction and cells of different lengths may be mixed in one call. This package knows nothing of
``pnas``: any space of that shape can use it::

    model = LSTMSurrogate(num_inputs=6, num_ops=8).fit(cells, accuracies)  # accuracies in [0, 1]
    mean, std = model.predict(other_cells)

:data:`SURROGATES` names them: ``"lstm"`` (the paper's), ``"mlp"`` (its alternative), ``"forest"`` (a random forest on
one-hot blocks, the strongest with side features on NAS-Bench-201), ``"blend"`` (the LSTM and the forest, their
predictions averaged).

Side features known before training (parameter count, ...) are optional: ``fit(cells, y, features=X)``,
``predict(cells, features=X)``. ``import surrogate`` is cheap: the encoding and the ranking metric need numpy only,
the predictors load torch on first use of their names.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from surrogate.encoding import CellTokens, encode_cells
from surrogate.ranking import rank_correlations

if TYPE_CHECKING:
    from surrogate.blend import BlendSurrogate
    from surrogate.ensemble import EnsembleSurrogate
    from surrogate.forest import ForestSurrogate
    from surrogate.lstm import LSTMSurrogate
    from surrogate.mlp import MLPSurrogate

_LAZY = {
    "BlendSurrogate": "surrogate.blend",
    "EnsembleSurrogate": "surrogate.ensemble",
    "ForestSurrogate": "surrogate.forest",
    "LSTMSurrogate": "surrogate.lstm",
    "MLPSurrogate": "surrogate.mlp",
}

__all__ = [
    "SURROGATES",
    "BlendSurrogate",
    "CellTokens",
    "EnsembleSurrogate",
    "ForestSurrogate",
    "LSTMSurrogate",
    "MLPSurrogate",
    "encode_cells",
    "rank_correlations",
]


#: SURROGATES' names and their classes' name stems.
_REGISTERED = {"lstm": "LSTM", "mlp": "MLP", "forest": "Forest", "blend": "Blend"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name == "SURROGATES":  # name -> class; each takes (num_inputs, num_ops, seed=...) and passes conformance
        registry = {name: __getattr__(f"{title}Surrogate") for name, title in _REGISTERED.items()}
        globals()["SURROGATES"] = registry  # built once: later lookups (and registrations) see the same dict
        return registry
    raise AttributeError(f"module 'surrogate' has no attribute {name!r}")
