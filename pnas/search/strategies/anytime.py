"""Progressive search with a budget: the paper's levels, then rounds at the last level until the budget is spent."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.search.constraints.pareto import METRIC_AGAINST_COST, pareto_front
from pnas.search.strategies.base import Proposal
from pnas.search.strategies.progressive import ProgressiveSearch
from pnas.search.strategies.scoring import check_positive, encode

__all__ = ["AnytimeProgressiveSearch"]


class AnytimeProgressiveSearch(ProgressiveSearch):
    """:class:`ProgressiveSearch` that stops after ``budget`` evaluations and spends what the levels leave.

    Its levels are Algorithm 1's (step 2 expands every evaluated cell of step 1). Once it reaches the last level it
    keeps proposing rounds of ``batch_size`` children of the last beam, refitting the surrogate after each round,
    until the budget is spent; with ``mutation_parents`` and ``climb_share`` the rounds also climb from the best
    cells found, leaving the beam's region (a departure from Algorithm 1). Every step is cut to the evaluations
    left, so a smaller budget gives a prefix of a larger one's evaluations (the benchmark relies on this).

    Args:
        budget: Stop after this many evaluations.
        batch_size: Cells per round at the last level (``None``: ``beam_size``).
        final_beam_size: Before each round at the last level, take as parents this many cells of the previous
            level, the best by the refitted surrogate among all it scored there, instead of the beam (``None``: the
            beam).
        mutation_parents: The unseen neighbours (one choice changed) of this many best cells of the last level join
            the candidates each round, so the surrogate also refines what was found.
        climb_share: The share of each round (rounded up) kept for those neighbours, the best of them by the
            surrogate, whatever it predicts for the beam's children: a local search that the surrogate orders, and
            that leaves the beam's region when the earlier levels chose it badly (0: they compete with the children).
        **settings: :class:`ProgressiveSearch`'s arguments, by name (``space``, ``beam_size``, ``surrogate``, ...).

    Raises:
        ConfigError: A setting is out of range (see also :class:`ProgressiveSearch`).
    """

    def __init__(
        self,
        budget: int,
        batch_size: int | None = None,
        final_beam_size: int | None = None,
        mutation_parents: int = 0,
        climb_share: float = 0.0,
        **settings: Any,
    ) -> None:
        check_positive(budget=budget, batch_size=batch_size, final_beam_size=final_beam_size)
        if not 0.0 <= climb_share <= 1.0:
            raise ConfigError(f"climb_share must be in [0, 1], got {climb_share}")
        super().__init__(**settings)
        self.climb_share = climb_share
        self.budget, self.batch_size = budget, batch_size or self.beam_size
        self.final_beam_size, self.mutation_parents = final_beam_size, mutation_parents
        self.num_steps = None
        self._last_level: set[Any] = set()

    def _left(self) -> int:
        return self.budget - len(self.history)

    def propose(self) -> Proposal | None:
        """As :meth:`ProgressiveSearch.propose` within the budget, then rounds at the last level."""
        left, start = self._left(), time.perf_counter()
        if left <= 0:
            return None
        if self.level == 0:
            return self._first_step(limit=left)
        if self.level < self.max_blocks and self.beam:
            self._next_level()
            count = self.beam_size if self.level < self.max_blocks else self.batch_size
        elif self.level == self.max_blocks and self.parents:
            count = self.batch_size
        else:
            return None
        extra: list[Any] = []
        if self.level == self.max_blocks:
            if self.final_beam_size is not None:
                self.parents = self._widened_beam()
            extra = self._neighbours_of_best()
        count = min(count, left)
        climb: dict[Any, float] = {}
        if self.climb_share and extra:  # keep a share of the round for the best neighbours
            kept, predicted, _ = self.rank_children([], math.ceil(self.climb_share * count), extra)
            climb = dict(zip(kept, map(float, predicted), strict=True))
        return self._children_step(self.parents, count, extra, start, kept=climb)

    def _widened_beam(self) -> list[Any]:
        """The ``final_beam_size`` best cells of the previous level by predicted accuracy, among all it scored."""
        if self._previous_level is None:  # the previous level was the first: nothing was scored there
            return self.parents
        tokens, child_at = self._previous_level
        mean, _ = self.predict(tokens, child_at)
        return [child_at(int(row)) for row in np.argsort(-mean, kind="stable")[: self.final_beam_size]]

    def _neighbours_of_best(self) -> list[Any]:
        """Unseen neighbours of the ``mutation_parents`` best last-level cells evaluated so far that have any.

        In Pareto mode the best are the front of accuracy against cost, most accurate first.
        """
        if not self.mutation_parents:
            return []
        finished = [(acc, cell) for cell, acc in self.history.items() if acc is not None and cell in self._last_level]
        finished.sort(key=lambda pair: -pair[0])
        if self.pareto_cost is not None and finished:
            name, costs = self.pareto_cost
            cost = np.asarray(costs(encode(self.space, [cell for _, cell in finished]))[name], dtype=float)
            points = np.stack([[acc for acc, _ in finished], np.where(np.isnan(cost), np.inf, cost)], axis=1)
            finished = [finished[int(i)] for i in pareto_front(points, METRIC_AGAINST_COST)]
        found: dict[Any, None] = {}
        parents = 0
        for _, cell in finished:
            unseen = [n for n in self.space.neighbours(cell) if n not in self.history]
            if unseen:  # a cell whose neighbours are all evaluated (a local optimum) passes its turn to the next
                found.update((n, None) for n in unseen)
                parents += 1
                if parents == self.mutation_parents:
                    break
        return list(found)

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """As :meth:`ProgressiveSearch.observe`; also remembers which cells are of the last level."""
        if self.level == self.max_blocks:
            self._last_level.update(cells)
        super().observe(cells, accuracies)

    def _continues(self) -> bool:
        return super()._continues() or self._left() > 0

    def settings(self) -> dict[str, Any]:
        """:meth:`ProgressiveSearch.settings` and the rounds' settings (not the budget: it may grow)."""
        return {
            **super().settings(),
            "batch_size": self.batch_size,
            "final_beam_size": self.final_beam_size,
            "mutation_parents": self.mutation_parents,
            "climb_share": self.climb_share,
        }
