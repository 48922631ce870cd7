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
    cells found, leaving the beam's region (a departure from Algorithm 1), and with ``restart_samples`` the climb
    starts again elsewhere when it reaches a local optimum. Every step is cut to the evaluations left, so a smaller
    budget gives a prefix of a larger one's evaluations (the benchmark relies on this).

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
        restart_samples: When each of the ``mutation_parents`` best cells of the climb is a local optimum (every
            neighbour evaluated), the climb restarts: this many unseen full cells are drawn at random, the
            surrogate's best of them are the next round's climb, and the climb goes on from the best of those,
            apart from the cells before (0: no restart; the turn passes to the next-best cell with unseen
            neighbours, which is usually in the same basin).
        climb_round: Cells per round once the climb has a full cell to start from (``None``: ``batch_size``). With
            1 the climb moves on after every better cell, as first-improvement local search does, in the surrogate's
            order; the surrogate is still refitted every ``batch_size`` evaluations (or as ``refit_growth`` says).
        refit_growth: With ``climb_round``, refit only once the new evaluations number ``batch_size`` or this share
            of the cells the surrogate was last fitted on, whichever is more (0: every ``batch_size``). A fit costs
            the same on any number of cells, and ten more cells change a fit on a hundred little.
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
        restart_samples: int = 0,
        climb_round: int | None = None,
        refit_growth: float = 0.0,
        **settings: Any,
    ) -> None:
        check_positive(budget=budget, batch_size=batch_size, final_beam_size=final_beam_size, climb_round=climb_round)
        if not 0.0 <= climb_share <= 1.0:
            raise ConfigError(f"climb_share must be in [0, 1], got {climb_share}")
        if refit_growth < 0:
            raise ConfigError(f"refit_growth must be >= 0, got {refit_growth}")
        if restart_samples < 0 or (restart_samples and not mutation_parents):
            raise ConfigError(
                f"restart_samples must be >= 0, and restarts need mutation_parents >= 1; got restart_samples="
                f"{restart_samples}, mutation_parents={mutation_parents}"
            )
        super().__init__(**settings)
        self.climb_share, self.restart_samples = climb_share, restart_samples
        self.budget, self.batch_size = budget, batch_size or self.beam_size
        self.final_beam_size, self.mutation_parents = final_beam_size, mutation_parents
        self.num_steps = None
        self._last_level: set[Any] = set()
        self._rng = np.random.default_rng(self.seed)
        self._climb: set[Any] | None = None  # the cells of the climb since its last restart (None: no restart yet)
        self._climb_candidates: set[Any] = set()  # the current round's cells for the climb
        self.climb_round = climb_round
        self.refit_growth = refit_growth
        self._unfitted = 0  # evaluations observed since the surrogate was last fitted
        self._fitted_on = 0  # evaluations the surrogate was last fitted on

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
            if extra is None:
                extra, self._climb = self._restart_cells(), set()
            self._climb_candidates = set(extra)
            if self.climb_round and extra:
                count = min(count, self.climb_round)
        count = min(count, left)
        climb: dict[Any, float] = {}
        if self.climb_share and extra:  # keep a share of the round for the best neighbours
            kept, predicted, _ = self.rank_children([], math.ceil(self.climb_share * count), extra)
            climb = dict(zip(kept, map(float, predicted), strict=True))
        if len(climb) == count:  # the climb fills the round: nothing more need be scored
            return self._children_step([], count, (), start, kept=climb, scored=len(extra))
        return self._children_step(self.parents, count, extra, start, kept=climb)

    def _widened_beam(self) -> list[Any]:
        """The ``final_beam_size`` best cells of the previous level by predicted accuracy, among all it scored."""
        if self._previous_level is None:  # the previous level was the first: nothing was scored there
            return self.parents
        tokens, child_at = self._previous_level
        mean, _ = self.predict(tokens, child_at)
        return [child_at(int(row)) for row in np.argsort(-mean, kind="stable")[: self.final_beam_size]]

    def _neighbours_of_best(self) -> list[Any] | None:
        """Unseen neighbours of the ``mutation_parents`` best cells of the climb; ``None``: time to restart.

        The climb's cells are every last-level cell evaluated so far until the first restart, then those evaluated
        for the climb since the last one. Without restarts, a best cell whose neighbours are all evaluated passes
        its turn to the next. In Pareto mode the best are the front of accuracy against cost, most accurate first.
        """
        if not self.mutation_parents:
            return []
        pool = self._last_level if self._climb is None else self._climb
        finished = [(acc, cell) for cell, acc in self.history.items() if acc is not None and cell in pool]
        finished.sort(key=lambda pair: -pair[0])
        if self.pareto_cost is not None and finished:
            name, costs = self.pareto_cost
            cost = np.asarray(costs(encode(self.space, [cell for _, cell in finished]))[name], dtype=float)
            points = np.stack([[acc for acc, _ in finished], np.where(np.isnan(cost), np.inf, cost)], axis=1)
            finished = [finished[int(i)] for i in pareto_front(points, METRIC_AGAINST_COST)]
        found: dict[Any, None] = {}
        parents = 0
        for _, cell in finished[: self.mutation_parents] if self.restart_samples else finished:
            unseen = [n for n in self.space.neighbours(cell) if n not in self.history]
            if unseen:  # a cell whose neighbours are all evaluated (a local optimum) passes its turn to the next
                found.update((n, None) for n in unseen)
                parents += 1
                if parents == self.mutation_parents:
                    break
        if not found and self.restart_samples and (finished or self._climb is not None):
            return None
        return list(found)

    def _restart_cells(self) -> list[Any]:
        """``restart_samples`` unseen full cells drawn at random (fewer where draws repeat or were evaluated)."""
        drawn = (self.space.random_cell(self._rng) for _ in range(self.restart_samples))
        return list(dict.fromkeys(cell for cell in drawn if cell not in self.history))

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """As :meth:`ProgressiveSearch.observe`; also remembers which cells are of the last level."""
        if self.level == self.max_blocks:
            self._last_level.update(cells)
            if self._climb is not None:
                self._climb.update(cell for cell in cells if cell in self._climb_candidates)
        self._unfitted += len(cells)
        super().observe(cells, accuracies)

    def _continues(self) -> bool:
        return super()._continues() or self._left() > 0

    def _refits(self) -> bool:
        """Refit after every step, but in rounds of ``climb_round`` only once enough evaluations are new."""
        if not self._continues():
            return False
        if not (self.climb_round and self.level == self.max_blocks):
            return True
        return self._unfitted >= max(self.batch_size, math.ceil(self.refit_growth * self._fitted_on))

    def _fit_surrogate(self) -> None:
        """Fit as :class:`ProgressiveSearch` does, and count the evaluations since from zero."""
        super()._fit_surrogate()
        self._unfitted, self._fitted_on = 0, len(self.history)

    def settings(self) -> dict[str, Any]:
        """:meth:`ProgressiveSearch.settings` and the rounds' settings (not the budget: it may grow)."""
        return {
            **super().settings(),
            "batch_size": self.batch_size,
            "final_beam_size": self.final_beam_size,
            "mutation_parents": self.mutation_parents,
            "climb_share": self.climb_share,
            **({"restart_samples": self.restart_samples} if self.restart_samples else {}),
            **({"climb_round": self.climb_round} if self.climb_round else {}),
            **({"refit_growth": self.refit_growth} if self.refit_growth else {}),
        }
