"""Baseline strategies a search method must beat: random search, regularized evolution and local search.

Each proposes one cell at a time from any :class:`~pnas.search.spaces.SearchSpace` and stops after ``budget``
evaluations. None proposes a cell twice: a budget counts distinct architectures for every strategy alike.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.search.spaces import CellSpace, SearchSpace
from pnas.search.strategy import Proposal, SearchStrategy

__all__ = ["LocalSearch", "RandomSearch", "RegularizedEvolution"]

#: Draws of a random unseen cell before a strategy concludes the space is exhausted.
_MAX_DRAWS = 1000


class _BudgetedStrategy(SearchStrategy):
    """Shared plumbing: a space, a seeded generator, a budget and the record of what was evaluated."""

    def __init__(self, space: SearchSpace | None = None, budget: int = 100, seed: int = 0) -> None:
        if budget < 1:
            raise ConfigError(f"budget must be >= 1, got {budget}")
        self.space = space if space is not None else CellSpace()
        self.budget, self.seed = budget, seed
        self.rng = np.random.default_rng(seed)
        self.history: dict[Any, float | None] = {}
        self.num_steps = None
        self.step = 0

    def _proposal(self, cell: Any | None) -> Proposal | None:
        if cell is None or len(self.history) >= self.budget:
            return None
        self.step += 1
        return Proposal(self.step, [cell])

    def _random_unseen(self) -> Any | None:
        for _ in range(_MAX_DRAWS):
            cell = self.space.random_cell(self.rng)
            if cell not in self.history:
                return cell
        return None

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """Record the accuracies (``None``: failed)."""
        for cell, accuracy in zip(cells, accuracies, strict=True):
            self.history[cell] = accuracy

    def state(self) -> dict[str, Any]:
        """How many cells have been evaluated."""
        return {"step": self.step, "evaluated": len(self.history)}


class RandomSearch(_BudgetedStrategy):
    """Evaluate ``budget`` distinct cells drawn uniformly at random.

    Args:
        space: The space to search; ``None``: the PNAS cell space with 3 blocks.
        budget: Number of evaluations.
        seed: Seed of the draws.
    """

    def propose(self) -> Proposal | None:
        """A random cell not evaluated before."""
        return self._proposal(self._random_unseen())


class RegularizedEvolution(_BudgetedStrategy):
    """Regularized (aging) evolution (Real et al. 2019).

    The first ``population_size`` cells are random. After that each proposal mutates the best of ``sample_size``
    cells drawn from the population (a tournament), and each result replaces the oldest member.

    Args:
        space: The space to search; ``None``: the PNAS cell space with 3 blocks.
        budget: Number of evaluations.
        population_size: Cells in the population.
        sample_size: Cells per tournament.
        seed: Seed of the draws.
    """

    def __init__(
        self,
        space: SearchSpace | None = None,
        budget: int = 100,
        population_size: int = 20,
        sample_size: int = 5,
        seed: int = 0,
    ) -> None:
        super().__init__(space, budget, seed)
        if not 1 <= sample_size <= population_size:
            raise ConfigError(f"need 1 <= sample_size <= population_size, got {sample_size} and {population_size}")
        self.population_size, self.sample_size = population_size, sample_size
        self.population: collections.deque[tuple[Any, float]] = collections.deque()

    def propose(self) -> Proposal | None:
        """A random cell while the population fills, then a mutation of a tournament winner."""
        if len(self.history) < self.population_size or not self.population:
            return self._proposal(self._random_unseen())
        sample = self.rng.choice(len(self.population), size=min(self.sample_size, len(self.population)), replace=False)
        parent = max((self.population[int(i)] for i in sample), key=lambda member: member[1])[0]
        unseen = [cell for cell in self.space.neighbours(parent) if cell not in self.history]
        child = unseen[int(self.rng.integers(len(unseen)))] if unseen else self._random_unseen()
        return self._proposal(child)

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """Add the results to the population; the oldest members leave once it is full."""
        super().observe(cells, accuracies)
        for cell, accuracy in zip(cells, accuracies, strict=True):
            if accuracy is not None:
                self.population.append((cell, accuracy))
                if len(self.population) > self.population_size:
                    self.population.popleft()


class LocalSearch(_BudgetedStrategy):
    """First-improvement hill climbing with random restarts.

    Start from a random cell; evaluate its unseen neighbours in random order and move to the first that beats it.
    When none does, the cell is a local optimum: restart from a new random cell.

    Args:
        space: The space to search; ``None``: the PNAS cell space with 3 blocks.
        budget: Number of evaluations.
        seed: Seed of the draws.
    """

    def __init__(self, space: SearchSpace | None = None, budget: int = 100, seed: int = 0) -> None:
        super().__init__(space, budget, seed)
        self.current: tuple[Any, float] | None = None
        self.queue: list[Any] = []

    def propose(self) -> Proposal | None:
        """The next unseen neighbour of the current cell, or a random restart."""
        while self.current is not None and self.queue:
            cell = self.queue.pop()
            if cell not in self.history:
                return self._proposal(cell)
        self.current = None
        return self._proposal(self._random_unseen())

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """Move to a cell that beats the current one (or take a restart's result as the current cell)."""
        super().observe(cells, accuracies)
        for cell, accuracy in zip(cells, accuracies, strict=True):
            if accuracy is None or (self.current is not None and accuracy <= self.current[1]):
                continue
            self.current = (cell, accuracy)
            neighbours = self.space.neighbours(cell)
            self.queue = [neighbours[int(i)] for i in self.rng.permutation(len(neighbours))]
