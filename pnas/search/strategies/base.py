"""The interface every search strategy implements: propose cells, observe their accuracies."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pnas.errors import ConfigError
from pnas.search.constraints.limits import CellConstraints
from pnas.space import Cell

__all__ = ["Proposal", "SearchStrategy"]


@dataclass
class Proposal:
    """Cells a strategy wants evaluated next, as one step of the search.

    Attributes:
        step: The step number (for progressive search, the number of blocks of the cells).
        cells: The cells to evaluate, in order.
        predicted: The predicted accuracy of each cell, or ``None`` where nothing was predicted.
        children_scored: How many candidates were scored to choose these cells.
        scoring_seconds: Seconds spent scoring them.
        excluded: Cells left out because a cost known before training was over a limit.
        predicted_std: The spread of each cell's prediction (the ensemble's standard deviation), or ``None``.
    """

    step: int
    cells: list[Cell]
    predicted: list[float | None] = field(default_factory=list)
    children_scored: int = 0
    scoring_seconds: float = 0.0
    excluded: int = 0
    predicted_std: list[float | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.predicted:
            self.predicted = [None] * len(self.cells)
        if not self.predicted_std:
            self.predicted_std = [None] * len(self.cells)


class SearchStrategy(ABC):
    """Base class of search strategies: :meth:`propose` the next cells, then :meth:`observe` their results.

    The search loop alternates the two until :meth:`propose` returns ``None``. Strategies never train anything;
    they see accuracies only, so they can be tested on closed-form objectives.
    """

    #: Steps the strategy will propose, for progress display (``None`` when unknown).
    num_steps: int | None = None

    @abstractmethod
    def propose(self) -> Proposal | None:
        """The next cells to evaluate, or ``None`` when the search is over."""
        raise NotImplementedError

    @abstractmethod
    def observe(self, cells: Sequence[Cell], accuracies: Sequence[float | None]) -> None:
        """Accuracies of the proposed ``cells``; ``None`` marks a failed evaluation."""
        raise NotImplementedError

    def constrain(self, constraints: CellConstraints) -> None:
        """Respect ``constraints`` from now on (limits on costs, Pareto mode); called before the first proposal.

        Raises:
            ConfigError: The strategy takes no constraints, or nothing fits them.
        """
        if constraints:
            raise ConfigError(
                f"{type(self).__name__} takes no limits on costs or Pareto objectives; use ProgressiveSearch"
            )

    def settings(self) -> dict[str, Any]:
        """JSON-ready settings that decide what the strategy proposes: the fingerprint a resumed search must match.

        Settings that only let a search go further (more levels, a larger budget) are left out, so a resumed
        search may extend them.
        """
        return {}

    def state(self) -> dict[str, Any]:
        """JSON-ready summary of where the strategy stands (recorded with each step; e.g. the beam)."""
        return {}
