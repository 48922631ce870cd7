"""Checks every surrogate applies to its targets and side features."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["feature_matrix", "target_array"]


def target_array(targets: Sequence[float], count: int) -> np.ndarray:
    """``targets`` as a float array of one accuracy in [0, 1] per cell.

    Raises:
        ValueError: Their number is not ``count``, or one is not a finite number in [0, 1].
    """
    y = np.asarray(targets, dtype=np.float64)
    if y.shape != (count,):
        raise ValueError(f"got {count} cells but {y.size} targets")
    if not np.all(np.isfinite(y)):
        raise ValueError("targets must be finite accuracies in [0, 1]; found NaN or infinity")
    if y.min() < 0 or y.max() > 1:
        raise ValueError("targets must be accuracies in [0, 1] (fractions, not percentages)")
    return y


def feature_matrix(features: np.ndarray | Sequence | None, count: int) -> np.ndarray | None:
    """``features`` as a finite ``(count, k)`` float array (a 1-D array is one feature).

    Raises:
        ValueError: The shape does not give one row per cell, or a value is not finite.
    """
    if features is None:
        return None
    values = np.asarray(features, dtype=np.float64)
    values = values[:, None] if values.ndim == 1 else values
    if values.ndim != 2 or len(values) != count:
        raise ValueError(f"features must be an (n, k) array with one row per cell; got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("features must be finite numbers")
    return values
