"""What "the best" means for a search, in one place: the loop's answer and the best-model export both ask it."""

from __future__ import annotations

__all__ = ["BestSoFar"]


class BestSoFar:
    """The best result so far: the higher level (more blocks) first, then the better value, then the earlier rank.

    A search's answer is a cell of the highest level it reached; among those, the best monitored value in ``mode``;
    of equal values, the one proposed first (``rank``: its step and its place in the step), whatever order the
    results arrive in (workers that finish out of order, results replayed on resume).

    Args:
        mode: ``"max"`` when a higher value is better, ``"min"`` when a lower one is.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.key: tuple[int, float, tuple[int, int]] | None = None  # (level, value, rank) of the best

    def order(self, value: float, level: int = 0) -> int:
        """How ``(level, value)`` ranks against the best: 1 (better, or nothing yet), 0 (tied) or -1 (worse)."""
        if self.key is None:
            return 1
        best_level, best_value, _ = self.key
        if level != best_level:
            return 1 if level > best_level else -1
        if value == best_value:
            return 0
        return 1 if (value > best_value if self.mode == "max" else value < best_value) else -1

    def offer(self, value: float, rank: tuple[int, int] = (0, 0), level: int = 0) -> bool:
        """Take the result if it beats the best so far (of equal ones, the earlier rank wins); whether it did."""
        order = self.order(value, level)
        if order < 0 or (order == 0 and self.key is not None and rank > self.key[2]):
            return False
        self.key = (level, value, rank)
        return True
