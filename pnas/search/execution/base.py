"""What every executor is: the :class:`CandidateExecutor` interface, the in-process one, and the slot scheduler.

The parallel executors (:mod:`~pnas.search.execution.worker_pool`, :mod:`~pnas.search.execution.ray_executor`)
build on :class:`SlotExecutor` and import only this module; :mod:`~pnas.search.execution.executors` chooses one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from pnas.errors import ConfigError
from pnas.search.evaluation.base import Evaluation

__all__ = ["CandidateExecutor", "InProcessExecutor", "SlotExecutor"]


class CandidateExecutor(ABC):
    """Trains candidates with a :class:`~pnas.search.evaluation.training.CandidateTraining`; subclasses say where."""

    @abstractmethod
    def run(self, cells: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Train ``cells``; yield ``(index into cells, TrainedCandidate)`` for each as soon as it has finished.

        Raises:
            ConfigError: A candidate met a setting no candidate can succeed with; the others are abandoned.
        """
        raise NotImplementedError

    def start(self) -> None:  # noqa: B027 (an optional hook: nothing to do by default)
        """Start the slots now, so they get ready while the search sets up; by default they start on first use."""

    def close(self) -> None:  # noqa: B027 (an optional hook: nothing to do by default)
        """Stop whatever this executor started (worker processes, actors)."""


class InProcessExecutor(CandidateExecutor):
    """One candidate after the other, in this process.

    Args:
        training: The job that trains one candidate.
    """

    def __init__(self, training: Any) -> None:
        self.training = training

    def run(self, cells: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Train each cell in turn."""
        for index, cell in enumerate(cells):
            yield index, self.training.train(cell)


class SlotExecutor(CandidateExecutor):
    """Keeps ``size`` slots busy with one cell each and yields results in the order they finish.

    Subclasses start, feed, watch and stop the slots. A slot reports ``("ok", TrainedCandidate)``,
    ``("config_error", message)`` or ``("died", message)``; a dead slot fails its cell and is started anew for the
    next one.

    Args:
        size: Number of slots.

    Attributes:
        held: Slot -> index of the cell it trains, for the run under way (or abandoned and not yet closed).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.held: dict[int, int] = {}

    def run(self, cells: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Train ``cells`` on the slots, as many at once as there are slots."""
        from pnas.search.evaluation.training import TrainedCandidate

        pending = deque(range(len(cells)))  # a cell is taken from ``cells`` when it is sent: jobs may load lazily
        try:
            while pending or self.held:
                for slot in range(self.size):
                    if pending and slot not in self.held:
                        index = pending.popleft()
                        self._submit(slot, cells[index])
                        self.held[slot] = index
                for slot, (kind, payload) in self._finished(sorted(self.held)):
                    index = self.held.pop(slot)
                    if kind == "config_error":
                        raise ConfigError(payload)
                    if kind == "died":
                        self._discard(slot)
                        yield index, TrainedCandidate(Evaluation(None, "failed", error=payload))
                    else:
                        yield index, payload
        finally:
            for slot in list(self.held):  # abandoned (an error, an interruption): too late for them
                self._discard(slot)
                del self.held[slot]

    @abstractmethod
    def _submit(self, slot: int, cell: Any) -> None:
        """Start training ``cell`` on ``slot`` (starting the slot first if needed)."""
        raise NotImplementedError

    @abstractmethod
    def _finished(self, slots: list[int]) -> list[tuple[int, tuple[str, Any]]]:
        """Block until at least one of the busy ``slots`` has finished or died; their outcomes."""
        raise NotImplementedError

    @abstractmethod
    def _discard(self, slot: int) -> None:
        """Stop ``slot`` at once; the next cell for it starts a new one."""
        raise NotImplementedError
