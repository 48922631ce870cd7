"""Accuracy predictors compared by the surrogate-quality benchmark, as a name -> callable registry.

A predictor is a function ``(data, train, test, seed) -> scores``: it fits on the rows ``train`` of a
:class:`QualityData` and returns one score per row of ``test``; only the ranking of the scores matters. The
registry holds the baselines (parameter count, a random forest on one-hot blocks) next to the surrogate ensembles
of :data:`surrogate.SURROGATES`; variants with side features (``"lstm+params"``, ``"forest+proxies"``) and the
zero-cost proxies alone (``"synflow"``) run only when asked for by name. Add a variant with
``PREDICTORS["lstm+flops"] = surrogate_predictor("lstm", ("flops",))``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.nn.zero_cost import PROXIES

__all__ = [
    "DEFAULT_PREDICTORS",
    "PREDICTORS",
    "Predictor",
    "QualityData",
    "blend_predictor",
    "feature_predictor",
    "params_predictor",
    "resolve_predictors",
    "surrogate_predictor",
]


@dataclass(frozen=True)
class QualityData:
    """Cells of one space as surrogate blocks, with their targets and side inputs known before training.

    Attributes:
        cells: Each cell as blocks ``(input_1, op_1, input_2, op_2)`` of integers.
        targets: The accuracy a search would see for each cell, a fraction in [0, 1].
        num_inputs: Input vocabulary of the blocks.
        num_ops: Operation vocabulary of the blocks.
        features: Side inputs by name (``"params"``, ``"flops"``), one value per cell.
    """

    cells: list[list[tuple[int, int, int, int]]]
    targets: np.ndarray
    num_inputs: int
    num_ops: int
    features: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.cells)

    def feature_matrix(self, names: Sequence[str], rows: np.ndarray) -> np.ndarray:
        """The side inputs ``names`` of ``rows`` as an ``(len(rows), len(names))`` array.

        Raises:
            ConfigError: A feature is not in the data.
        """
        missing = [name for name in names if name not in self.features]
        if missing:
            raise ConfigError(f"no side feature {missing[0]!r}; this data has {', '.join(self.features) or 'none'}")
        return np.stack([np.asarray(self.features[name], dtype=np.float64)[rows] for name in names], axis=1)


#: ``(data, train rows, test rows, seed) -> one score per test row``.
Predictor = Callable[[QualityData, np.ndarray, np.ndarray, int], np.ndarray]


def feature_predictor(name: str) -> Predictor:
    """One side feature alone as the score (nothing is fitted): ``"params"``, or a zero-cost proxy."""

    def predict(data: QualityData, train: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
        return data.feature_matrix((name,), test)[:, 0]

    predict.__doc__ = f"The side feature {name!r} alone: the higher, the better the cell is predicted to be"
    return predict


#: Parameter count alone: the larger network is predicted the better one.
params_predictor: Predictor = feature_predictor("params")


def surrogate_predictor(name: str, features: Sequence[str] = (), **options: Any) -> Predictor:
    """A predictor fitting the surrogate ensemble ``SURROGATES[name]``, optionally with side ``features``.

    Args:
        name: A key of :data:`surrogate.SURROGATES` (``"lstm"``, ``"mlp"``, ``"forest"``, ``"blend"``).
        features: Side inputs passed as ``fit(..., features=)`` / ``predict(..., features=)``, e.g. ``("params",)``.
        **options: Further constructor arguments of the surrogate (``steps``, ``learning_rate``, ...).
    """

    def predict(data: QualityData, train: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
        from surrogate import SURROGATES

        if name not in SURROGATES:
            raise ConfigError(f"unknown surrogate {name!r}; choose from {', '.join(SURROGATES)}")
        model = SURROGATES[name](data.num_inputs, data.num_ops, seed=seed, **options)
        train_cells, test_cells = [data.cells[i] for i in train], [data.cells[i] for i in test]
        if not features:
            return np.asarray(model.fit(train_cells, data.targets[train]).predict(test_cells)[0])
        model.fit(train_cells, data.targets[train], features=data.feature_matrix(features, train))
        return np.asarray(model.predict(test_cells, features=data.feature_matrix(features, test))[0])

    predict.__doc__ = f"The {name} surrogate" + (f" with side features {list(features)}" if features else "")
    return predict


def blend_predictor(*names: str) -> Predictor:
    """The predictors ``names`` (keys of :data:`PREDICTORS`) fitted side by side, their scores' ranks averaged."""

    def predict(data: QualityData, train: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
        ranks = [np.argsort(np.argsort(PREDICTORS[name](data, train, test, seed))) for name in names]
        return np.mean(ranks, axis=0) / max(1, len(test) - 1)

    predict.__doc__ = f"The mean rank of {', '.join(names)}"
    return predict


#: A hidden head of ``head_hidden`` units in every fit, trained for ``steps``, whatever the number of cells.
_ALWAYS_HIDDEN: dict[str, Any] = {"head_hidden_from": 0, "head_hidden_step_factor": 1.0}

#: Predictor name -> callable. The defaults run always; the variants, blends and proxies only when named. The
#: ``+proxies`` variants and the proxies alone need data with the zero-cost proxies as side features.
PREDICTORS: dict[str, Predictor] = {
    "params": params_predictor,
    "forest": surrogate_predictor("forest"),
    "mlp": surrogate_predictor("mlp"),
    "lstm": surrogate_predictor("lstm"),
    "mlp+params": surrogate_predictor("mlp", ("params",)),
    "lstm+params": surrogate_predictor("lstm", ("params",)),
    "lstm+proxies": surrogate_predictor("lstm", PROXIES),
    "forest+proxies": surrogate_predictor("forest", PROXIES),
    "lstm&forest": blend_predictor("lstm", "forest"),
    "lstm+proxies&forest+proxies": blend_predictor("lstm+proxies", "forest+proxies"),
    "blend": surrogate_predictor("blend"),
    "blend+proxies": surrogate_predictor("blend", PROXIES),
    "lstm-ranking": surrogate_predictor("lstm", ranking_weight=1.0),
    "lstm-linear": surrogate_predictor("lstm", head_hidden=0),
    "lstm-hidden": surrogate_predictor("lstm", head_hidden=64, **_ALWAYS_HIDDEN),
    "lstm-hidden+proxies": surrogate_predictor("lstm", PROXIES, head_hidden=64, **_ALWAYS_HIDDEN),
    "lstm-hidden-150": surrogate_predictor("lstm", head_hidden=64, steps=150, **_ALWAYS_HIDDEN),
    **{name: feature_predictor(name) for name in PROXIES},
}

#: The baselines and the two ensembles, always measured side by side.
DEFAULT_PREDICTORS: tuple[str, ...] = ("params", "forest", "mlp", "lstm")


def resolve_predictors(names: Sequence[str]) -> dict[str, Predictor]:
    """The registry entries ``names``, in order.

    Raises:
        ConfigError: A name is not in :data:`PREDICTORS`, or none is given.
    """
    if not names:
        raise ConfigError(f"no predictor given; choose from {', '.join(PREDICTORS)}")
    unknown = [name for name in names if name not in PREDICTORS]
    if unknown:
        raise ConfigError(f"unknown predictor {unknown[0]!r}; choose from {', '.join(PREDICTORS)}")
    return {name: PREDICTORS[name] for name in names}
