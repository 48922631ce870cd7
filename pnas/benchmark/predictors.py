"""Accuracy predictors compared by the surrogate-quality benchmark, as a name -> callable registry.

A predictor is a function ``(data, train, test, seed) -> scores``: it fits on the rows ``train`` of a
:class:`QualityData` and returns one score per row of ``test``; only the ranking of the scores matters. The
registry holds the baselines (parameter count, a random forest on one-hot blocks) next to the surrogate ensembles
of :data:`surrogate.SURROGATES`; variants with side features (``"lstm+params"``) run only when
asked for by name. Add a variant with ``PREDICTORS["lstm+flops"] = surrogate_predictor("lstm", ("flops",))``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pnas.errors import ConfigError

__all__ = [
    "DEFAULT_PREDICTORS",
    "PREDICTORS",
    "Predictor",
    "QualityData",
    "blend_predictor",
    "forest_predictor",
    "one_hot_blocks",
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


def params_predictor(data: QualityData, train: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
    """Parameter count alone: the larger network is predicted the better one (nothing is fitted)."""
    return data.feature_matrix(("params",), test)[:, 0]


def one_hot_blocks(cells: Sequence[Sequence[Sequence[int]]], num_inputs: int, num_ops: int, blocks: int) -> np.ndarray:
    """Each block position's 4 tokens one-hot encoded and concatenated; positions past a cell's end stay zero.

    Args:
        cells: Cells as blocks ``(input_1, op_1, input_2, op_2)``.
        num_inputs: Input vocabulary size.
        num_ops: Operation vocabulary size.
        blocks: Block positions encoded (at least the longest cell).

    Returns:
        A ``(len(cells), blocks * 2 * (num_inputs + num_ops))`` array of 0.0 and 1.0.
    """
    width = 2 * (num_inputs + num_ops)
    offsets = np.array([0, num_inputs, num_inputs + num_ops, 2 * num_inputs + num_ops])
    encoded = np.zeros((len(cells), blocks * width))
    for row, cell in enumerate(cells):
        for position, block in enumerate(cell):
            encoded[row, position * width + offsets + np.asarray(block)] = 1.0
    return encoded


def forest_predictor(data: QualityData, train: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
    """A random forest (300 trees, ``random_state=seed``) on the one-hot blocks of :func:`one_hot_blocks`."""
    from sklearn.ensemble import RandomForestRegressor

    blocks = max(len(data.cells[i]) for i in (*train, *test))

    def encode(rows: np.ndarray) -> np.ndarray:
        return one_hot_blocks([data.cells[i] for i in rows], data.num_inputs, data.num_ops, blocks)

    forest = RandomForestRegressor(n_estimators=300, random_state=seed, n_jobs=1)
    return forest.fit(encode(train), data.targets[train]).predict(encode(test))


def surrogate_predictor(name: str, features: Sequence[str] = (), **options: Any) -> Predictor:
    """A predictor fitting the surrogate ensemble ``SURROGATES[name]``, optionally with side ``features``.

    Args:
        name: A key of :data:`surrogate.SURROGATES` (``"lstm"``, ``"mlp"``).
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

    predict.__doc__ = f"The {name} surrogate ensemble" + (f" with side features {list(features)}" if features else "")
    return predict


def blend_predictor(*names: str) -> Predictor:
    """The predictors ``names`` (keys of :data:`PREDICTORS`) fitted side by side, their scores' ranks averaged."""

    def predict(data: QualityData, train: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
        ranks = [np.argsort(np.argsort(PREDICTORS[name](data, train, test, seed))) for name in names]
        return np.mean(ranks, axis=0) / max(1, len(test) - 1)

    predict.__doc__ = f"The mean rank of {', '.join(names)}"
    return predict


#: Predictor name -> callable. The defaults run always; the ``+params`` variants and blends only when named.
PREDICTORS: dict[str, Predictor] = {
    "params": params_predictor,
    "forest": forest_predictor,
    "mlp": surrogate_predictor("mlp"),
    "lstm": surrogate_predictor("lstm"),
    "mlp+params": surrogate_predictor("mlp", ("params",)),
    "lstm+params": surrogate_predictor("lstm", ("params",)),
    "lstm&forest": blend_predictor("lstm", "forest"),
    "lstm-ranking": surrogate_predictor("lstm", ranking_weight=1.0),
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
