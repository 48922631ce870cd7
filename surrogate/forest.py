"""A random forest on one-hot blocks: the tree-model surrogate, with its trees' spread as the ensemble std."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from surrogate.encoding import CellLike, CellTokens, encode_cells
from surrogate.validation import feature_matrix, target_array

__all__ = ["ForestSurrogate", "one_hot_blocks"]


def one_hot_blocks(tokens: CellTokens, num_inputs: int, num_ops: int, blocks: int) -> np.ndarray:
    """Each of the first ``blocks`` block positions' 4 tokens one-hot encoded and concatenated.

    Positions past a cell's end stay zero; blocks past ``blocks`` are left out.

    Returns:
        A ``(len(tokens), blocks * 2 * (num_inputs + num_ops))`` array of 0.0 and 1.0.
    """
    width = 2 * (num_inputs + num_ops)
    offsets = np.array([0, num_inputs, num_inputs + num_ops, 2 * num_inputs + num_ops])
    encoded = np.zeros((len(tokens), blocks * width))
    shown = min(blocks, tokens.blocks.shape[1])
    rows, positions = np.nonzero(np.arange(shown)[None, :] < tokens.lengths[:, None])
    columns = positions[:, None] * width + offsets + tokens.blocks[rows, positions]
    encoded[rows[:, None], columns] = 1.0
    return encoded


class ForestSurrogate:
    """A random forest regressor (scikit-learn) on one-hot blocks and the side features.

    The mean is the forest's prediction, the std the spread of its trees' predictions. Cells are encoded over the
    block positions of the longest cell fitted on; a longer cell's extra blocks are not seen. Deterministic for a
    given ``seed``.

    Args:
        num_inputs: Input vocabulary size (block inputs are ``0 .. num_inputs - 1``).
        num_ops: Operation vocabulary size.
        num_trees: Trees in the forest.
        seed: The forest's ``random_state``.
    """

    def __init__(self, num_inputs: int, num_ops: int, num_trees: int = 300, seed: int = 0) -> None:
        sizes = {"num_inputs": num_inputs, "num_ops": num_ops, "num_trees": num_trees}
        wrong = {name: value for name, value in sizes.items() if not isinstance(value, int) or value < 1}
        if wrong:
            raise ValueError(f"{', '.join(f'{k}={v}' for k, v in wrong.items())}: must be integers >= 1")
        self.num_inputs, self.num_ops, self.num_trees, self.seed = num_inputs, num_ops, num_trees, seed
        self.forest = None
        self._blocks = 0
        self._num_features: int | None = None

    @property
    def fitted(self) -> bool:
        """Whether :meth:`fit` has been called."""
        return self.forest is not None

    def _inputs(self, tokens: CellTokens, features: np.ndarray | None) -> np.ndarray:
        encoded = one_hot_blocks(tokens, self.num_inputs, self.num_ops, self._blocks)
        return encoded if features is None else np.hstack([encoded, features])

    def fit(
        self,
        cells: Sequence[CellLike] | CellTokens,
        targets: Sequence[float],
        features: np.ndarray | Sequence | None = None,
    ) -> ForestSurrogate:
        """Fit the forest on ``cells`` and their ``targets`` (accuracies in [0, 1]), with optional side features.

        Raises:
            ValueError: Cells, targets or features differ in number, or a target is not a finite number in [0, 1].
        """
        from sklearn.ensemble import RandomForestRegressor

        tokens = encode_cells(cells, self.num_inputs, self.num_ops)
        y = target_array(targets, len(tokens))
        values = feature_matrix(features, len(tokens))
        self._blocks = int(tokens.lengths.max())
        self._num_features = None if values is None else values.shape[1]
        self.forest = RandomForestRegressor(n_estimators=self.num_trees, random_state=self.seed, n_jobs=1)
        self.forest.fit(self._inputs(tokens, values), y)
        return self

    def predict(
        self, cells: Sequence[CellLike] | CellTokens, features: np.ndarray | Sequence | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predicted accuracy of each cell: the forest's mean and its trees' standard deviation.

        Raises:
            RuntimeError: :meth:`fit` has not been called.
            ValueError: Features are missing, extra or of the wrong shape.
        """
        if self.forest is None:
            raise RuntimeError(f"{type(self).__name__}.predict called before fit: fit it on some cells first")
        tokens = encode_cells(cells, self.num_inputs, self.num_ops)
        values = feature_matrix(features, len(tokens))
        if (values is None) != (self._num_features is None):
            raise ValueError(
                "this surrogate was fitted with side features: pass features= to predict as well"
                if values is None
                else "this surrogate was fitted without side features: call predict without features="
            )
        if values is not None and values.shape[1] != self._num_features:
            raise ValueError(f"fitted with {self._num_features} features, got {values.shape[1]}")
        inputs = self._inputs(tokens, values)
        trees = np.stack([tree.predict(inputs) for tree in self.forest.estimators_])
        return trees.mean(axis=0), trees.std(axis=0)
