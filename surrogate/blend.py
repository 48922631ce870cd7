"""The LSTM ensemble and the random forest side by side: their predictions averaged."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from surrogate.encoding import CellLike, CellTokens, encode_cells
from surrogate.forest import ForestSurrogate
from surrogate.lstm import LSTMSurrogate

__all__ = ["BlendSurrogate"]


class BlendSurrogate:
    """The LSTM ensemble and the random forest fitted on the same cells and side features, their means averaged.

    The two are an :class:`~surrogate.lstm.LSTMSurrogate` and a :class:`~surrogate.forest.ForestSurrogate`.
    The LSTM reads the order of a cell's blocks, the forest picks up side features (zero-cost proxies) and
    single-edge effects quickly: on NAS-Bench-201 with the proxies the two together rank held-out cells better
    than the LSTM alone (``benchmarks/surrogate_quality.py``). The std is that of an equal mixture of the two:
    each model's own spread and their disagreement.

    Args:
        num_inputs: Input vocabulary size (block inputs are ``0 .. num_inputs - 1``).
        num_ops: Operation vocabulary size.
        num_trees: Trees in the forest.
        seed: Seed of both models.
        **lstm_options: Further arguments of the LSTM ensemble (``steps``, ``hidden_size``, ...).
    """

    def __init__(self, num_inputs: int, num_ops: int, num_trees: int = 300, seed: int = 0, **lstm_options: Any):
        self.lstm = LSTMSurrogate(num_inputs, num_ops, seed=seed, **lstm_options)
        self.forest = ForestSurrogate(num_inputs, num_ops, num_trees=num_trees, seed=seed)
        self.num_inputs, self.num_ops, self.seed = num_inputs, num_ops, seed

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` has been called."""
        return self.lstm.fitted and self.forest.fitted

    def fit(
        self,
        cells: Sequence[CellLike] | CellTokens,
        targets: Sequence[float],
        features: np.ndarray | Sequence | None = None,
    ) -> BlendSurrogate:
        """Fit both models on ``cells``, their ``targets`` (accuracies in [0, 1]) and the optional side features.

        Raises:
            ValueError: Cells, targets or features differ in number, or a target is not a finite number in [0, 1].
        """
        tokens = encode_cells(cells, self.num_inputs, self.num_ops)
        self.forest.fit(tokens, targets, features=features)
        self.lstm.fit(tokens, targets, features=features)
        return self

    def predict(
        self, cells: Sequence[CellLike] | CellTokens, features: np.ndarray | Sequence | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The mean of the two models' predictions, and the std of their equal mixture.

        Raises:
            RuntimeError: :meth:`fit` has not been called.
            ValueError: Features are missing, extra or of the wrong shape.
        """
        if not self.fitted:
            raise RuntimeError(f"{type(self).__name__}.predict called before fit: fit it on some cells first")
        tokens = encode_cells(cells, self.num_inputs, self.num_ops)
        lstm_mean, lstm_std = self.lstm.predict(tokens, features=features)
        forest_mean, forest_std = self.forest.predict(tokens, features=features)
        mean = (lstm_mean + forest_mean) / 2
        variance = (lstm_std**2 + forest_std**2) / 2 + ((lstm_mean - forest_mean) / 2) ** 2
        return mean, np.sqrt(variance)
