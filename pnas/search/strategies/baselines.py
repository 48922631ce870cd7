"""Baseline strategies a search method must beat: random search, regularized evolution and local search.

Each proposes one cell at a time from any :class:`~pnas.search.spaces.cell_space.SearchSpace` and stops after ``budget``
evaluations. None proposes a cell twice: a budget counts distinct architectures for every strategy alike.
"""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import Any

import numpy as np

from pnas.errors import ConfigError
from pnas.search.spaces.cell_space import CellSpace, SearchSpace
from pnas.search.strategies.base import Proposal, SearchStrategy

__all__ = ["BudgetedStrategy", "LocalSearch", "RandomSearch", "RegularizedEvolution"]

#: Draws of a random unseen cell before a strategy concludes the space is exhausted.
_MAX_DRAWS = 1000


class BudgetedStrategy(SearchStrategy):
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

    def settings(self) -> dict[str, Any]:
        """The space and the seed (not the budget: it may grow)."""
        return {"space": self.space.settings(), "seed": self.seed}

    def state(self) -> dict[str, Any]:
        """How many cells have been evaluated."""
        return {"step": self.step, "evaluated": len(self.history)}


class RandomSearch(BudgetedStrategy):
    """Evaluate ``budget`` distinct cells drawn uniformly at random.

    Args:
        space: The space to search; ``None``: the PNAS cell space with 3 blocks.
        budget: Number of evaluations.
        seed: Seed of the draws.
    """

    def propose(self) -> Proposal | None:
        """A random cell not evaluated before."""
        return self._proposal(self._random_unseen())


class RegularizedEvolution(BudgetedStrategy):
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

    def settings(self) -> dict[str, Any]:
        """The space, the seed, the population and the tournament's sizes."""
        return {**super().settings(), "population_size": self.population_size, "sample_size": self.sample_size}

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


class LocalSearch(BudgetedStrategy):
    """Hill climbing over one-choice changes, with random restarts.

    Each (re)start evaluates ``initial_samples`` random cells and climbs from the best of them. ``"first"``
    improvement evaluates the current cell's unseen neighbours in random order and moves to the first that beats
    it; ``"best"`` improvement evaluates all of them and moves to the best, if it beats the current cell. When no
    neighbour does, the cell is a local optimum: restart.

    Args:
        space: The space to search; ``None``: the PNAS cell space with 3 blocks.
        budget: Number of evaluations.
        seed: Seed of the draws.
        variant: ``"first"`` or ``"best"`` improvement.
        initial_samples: Random cells evaluated at each (re)start; the climb starts from their best.

    Raises:
        ConfigError: The variant is unknown or ``initial_samples`` is below 1.
    """

    #: The improvement rules :class:`LocalSearch` knows.
    VARIANTS = ("first", "best")

    def __init__(
        self,
        space: SearchSpace | None = None,
        budget: int = 100,
        seed: int = 0,
        variant: str = "first",
        initial_samples: int = 1,
    ) -> None:
        super().__init__(space, budget, seed)
        if variant not in self.VARIANTS or initial_samples < 1:
            raise ConfigError(
                f"need variant in {', '.join(self.VARIANTS)} and initial_samples >= 1, "
                f"got {variant!r} and {initial_samples}"
            )
        self.variant, self.initial_samples = variant, initial_samples
        self.current: tuple[Any, float] | None = None
        self.queue: list[Any] = []
        self.candidate: tuple[Any, float] | None = None  # best start sample, or best neighbour ("best" variant)
        self.starts_left = initial_samples

    def settings(self) -> dict[str, Any]:
        """The space, the seed, the variant and the random starts."""
        return {**super().settings(), "variant": self.variant, "initial_samples": self.initial_samples}

    def _move(self, member: tuple[Any, float]) -> None:
        self.current, self.candidate = member, None
        neighbours = self.space.neighbours(member[0])
        self.queue = [neighbours[int(i)] for i in self.rng.permutation(len(neighbours))]

    def _restart(self) -> None:
        self.current, self.candidate, self.queue, self.starts_left = None, None, [], self.initial_samples

    def propose(self) -> Proposal | None:
        """A random start sample, or the next unseen neighbour of the current cell."""
        while True:
            if self.current is None:
                if self.starts_left > 0:
                    self.starts_left -= 1
                    return self._proposal(self._random_unseen())
                if self.candidate is None:  # every start sample failed
                    self._restart()
                else:
                    self._move(self.candidate)
                continue
            while self.queue:
                cell = self.queue.pop()
                if cell not in self.history:
                    return self._proposal(cell)
            if self.candidate is not None and self.candidate[1] > self.current[1]:
                self._move(self.candidate)
            else:
                self._restart()

    def observe(self, cells: Sequence[Any], accuracies: Sequence[float | None]) -> None:
        """Track the best start sample or neighbour; ``"first"`` improvement moves to a better neighbour at once."""
        super().observe(cells, accuracies)
        for cell, accuracy in zip(cells, accuracies, strict=True):
            if accuracy is None or (self.candidate is not None and accuracy <= self.candidate[1]):
                continue
            if self.current is None or self.variant == "best":
                self.candidate = (cell, accuracy)
            elif accuracy > self.current[1]:
                self._move((cell, accuracy))
