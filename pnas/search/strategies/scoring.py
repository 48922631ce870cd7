"""What the progressive strategies share: score scaling, the predicted front, cell encoding, setting checks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.search.spaces.cell_space import SearchSpace
from surrogate import CellTokens, encode_cells

__all__ = ["UnitScale", "append_cells", "check_positive", "encode", "front_first"]


class UnitScale:
    """How observed scores map onto the surrogate's [0, 1] targets.

    Unchanged when they are accuracies already; otherwise (a loss, a negated metric) an affine map of their range
    onto [0.1, 0.9].
    """

    def __init__(self, low: float = 0.0, span: float = 1.0, offset: float = 0.0) -> None:
        self.low, self.span, self.offset = low, span, offset

    @classmethod
    def of(cls, scores: np.ndarray) -> UnitScale:
        """The identity for scores within [0, 1], else the map of their range onto [0.1, 0.9]."""
        if scores.min() >= 0 and scores.max() <= 1:
            return cls()
        return cls(float(scores.min()), max(float(scores.max() - scores.min()), 1e-12) / 0.8, 0.1)

    def to_unit(self, scores: np.ndarray) -> np.ndarray:
        """Scores as surrogate targets."""
        return self.offset + (scores - self.low) / self.span

    def from_unit(self, values: np.ndarray) -> np.ndarray:
        """Surrogate outputs back in score units."""
        return self.low + (values - self.offset) * self.span


def front_first(order: np.ndarray, cost: np.ndarray, score: np.ndarray, seen: Callable[[int], bool]) -> np.ndarray:
    """``order`` (rows best first) with the predicted front moved ahead: each row cheaper than the last kept one.

    Rows scored ``-inf`` (over a limit), rows of unknown cost (NaN) and rows of cells already evaluated never join
    the front.
    """
    ranked_cost = np.asarray(cost[order], dtype=float)
    ranked_cost = np.where((score[order] == -np.inf) | np.isnan(ranked_cost), np.inf, ranked_cost)
    while True:
        cheapest_before = np.minimum.accumulate(np.concatenate([[np.inf], ranked_cost[:-1]]))
        positions = np.flatnonzero(ranked_cost < cheapest_before)
        evaluated = [position for position in positions if seen(int(order[position]))]
        if not evaluated:
            break
        ranked_cost[evaluated] = np.inf  # an evaluated cell neither joins the front nor sets its bar
    in_front = np.zeros(len(order), dtype=bool)
    in_front[positions] = True
    return np.concatenate([order[in_front], order[~in_front]])


def encode(space: SearchSpace, cells: Sequence[Any]) -> CellTokens:
    """``cells`` encoded as the surrogate reads them."""
    return encode_cells([space.tokens(cell) for cell in cells], space.num_inputs, space.num_ops)


def check_positive(**settings: int | None) -> None:
    """Refuse any setting below 1 (``None``: unset, allowed)."""
    out_of_range = {name: value for name, value in settings.items() if value is not None and value < 1}
    if out_of_range:
        wrong = ", ".join(f"{name}={value}" for name, value in out_of_range.items())
        names = list(settings)
        listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        raise ConfigError(f"{wrong}: {listed} must be >= 1")


def append_cells(
    tokens: CellTokens, child_at: Callable[[int], Any], extra_tokens: list, extra: Sequence[Any]
) -> tuple[CellTokens, Callable[[int], Any]]:
    """``tokens`` followed by the ``extra`` cells' tokens, and the row -> cell function over both."""
    count = len(tokens)
    width = max(tokens.blocks.shape[1], *(len(cell) for cell in extra_tokens))
    blocks = np.zeros((count + len(extra), width, 4), dtype=np.int64)
    blocks[:count, : tokens.blocks.shape[1]] = tokens.blocks
    for row, cell in enumerate(extra_tokens, start=count):
        blocks[row, : len(cell)] = cell
    lengths = np.concatenate([tokens.lengths, [len(cell) for cell in extra_tokens]]).astype(np.int64)
    return CellTokens(blocks, lengths), lambda row: child_at(row) if row < count else extra[row - count]
