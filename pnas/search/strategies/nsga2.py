"""Multi-objective evolution by non-dominated sorting (NSGA-II, Deb et al. 2002): the baseline of a Pareto search."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.search.constraints.pareto import METRIC_AGAINST_COST, crowding_distance, non_dominated_ranks
from pnas.search.spaces.cell_space import SearchSpace
from pnas.search.strategies.base import Proposal
from pnas.search.strategies.baselines import BudgetedStrategy

__all__ = ["NSGA2"]

#: Draws per cell of a generation before it is cut short (the unseen neighbourhood of the population ran out).
_DRAWS_PER_CELL = 10


class NSGA2(BudgetedStrategy):
    """NSGA-II over a cell space: maximise accuracy, minimise a cost known before evaluation.

    Generation 0 is ``population_size`` random cells. Each later generation proposes ``population_size`` distinct
    children (fewer only when draws keep repeating). Each child mutates the winner of a binary tournament (one
    choice changed, as :meth:`~pnas.search.spaces.cell_space.SearchSpace.neighbours` gives), won by the lower
    non-dominated rank, then the larger crowding distance. The population that follows is the best ``population_size``
    of parents and children by the same order (elitism). Cells are mutated, not crossed over: a cell space has no
    crossover operator. Failed evaluations never join the population.

    Args:
        space: The space to search.
        budget: Number of evaluations.
        cost: A cell's cost (lower is better; NaN: unknown, ranked last).
        population_size: Cells per generation.
        seed: Seed of the draws.

    Raises:
        ConfigError: ``budget`` or ``population_size`` is below 1 (2 for the population).
    """

    def __init__(
        self,
        space: SearchSpace,
        budget: int,
        cost: Callable[[Any], float],
        population_size: int = 20,
        seed: int = 0,
    ) -> None:
        super().__init__(space, budget, seed)
        if population_size < 2:
            raise ConfigError(f"population_size must be >= 2 for tournaments, got {population_size}")
        self.cost, self.population_size = cost, population_size
        self.population: list[tuple[Any, float, float]] = []  # (cell, accuracy, cost)

    def propose(self) -> Proposal | None:
        """The next generation: random cells first, then mutated tournament winners; never a cell seen before."""
        left = self.budget - len(self.history)
        if left <= 0:
            return None
        if len(self.population) < 2:
            cells = self._generation(self._random_unseen)
        else:
            ranks, crowding = self._order()
            cells = self._generation(lambda: self._mutated(self._tournament(ranks, crowding)))
        if not cells:
            return None
        self.step += 1
        return Proposal(self.step, cells[:left])

    def _generation(self, draw: Callable[[], Any | None]) -> list[Any]:
        """``population_size`` distinct cells from ``draw``, none seen before; fewer if draws keep repeating."""
        cells: dict[Any, None] = {}
        for _ in range(_DRAWS_PER_CELL * self.population_size):
            cell = draw()
            if cell is not None and cell not in cells:
                cells[cell] = None
                if len(cells) == self.population_size:
                    break
        return list(cells)

    def _points(self) -> np.ndarray:
        return np.array([(accuracy, cost) for _, accuracy, cost in self.population], dtype=float)

    def _order(self) -> tuple[np.ndarray, np.ndarray]:
        """Each member's non-dominated rank and its crowding distance within its front."""
        points = self._points()
        ranks = non_dominated_ranks(points, METRIC_AGAINST_COST)
        crowding = np.zeros(len(points))
        for rank in np.unique(ranks):
            members = np.flatnonzero(ranks == rank)
            crowding[members] = crowding_distance(points[members])
        return ranks, crowding

    def _tournament(self, ranks: np.ndarray, crowding: np.ndarray) -> Any:
        """The better of two distinct random members: lower rank, then larger crowding distance."""
        a, b = (int(i) for i in self.rng.choice(len(self.population), size=2, replace=False))
        key = {i: (ranks[i], -crowding[i]) for i in (a, b)}
        return self.population[min((a, b), key=lambda i: key[i])][0]

    def _mutated(self, parent: Any) -> Any | None:
        """A random unseen neighbour of ``parent``; a random unseen cell when it has none."""
        unseen = [cell for cell in self.space.neighbours(parent) if cell not in self.history]
        return unseen[int(self.rng.integers(len(unseen)))] if unseen else self._random_unseen()

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """Add the generation's results to the population and keep its best ``population_size`` (elitism)."""
        super().observe(cells, accuracies)
        for cell, accuracy in zip(cells, accuracies, strict=True):
            if accuracy is not None:
                cost = float(self.cost(cell))
                self.population.append((cell, accuracy, math.inf if math.isnan(cost) else cost))
        if len(self.population) > self.population_size:
            ranks, crowding = self._order()
            keep = np.lexsort((-crowding, ranks))[: self.population_size]  # by rank, then crowding, largest first
            self.population = [self.population[int(i)] for i in sorted(keep)]

    def settings(self) -> dict[str, Any]:
        """The population size and the seed."""
        return {"population_size": self.population_size, "seed": self.seed}
