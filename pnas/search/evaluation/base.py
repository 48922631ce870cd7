"""How a search reaches whatever measures a cell: the :class:`Evaluator` interface and its :class:`Evaluation`.

A strategy never trains anything itself. The loop hands a proposal's cells to an evaluator and records each
:class:`Evaluation` the moment it arrives, so training with Lightning, a lookup in a benchmark table or workers
that finish out of order are interchangeable. This module imports nothing heavy.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pnas.errors import ConfigError

__all__ = ["Evaluation", "Evaluator", "cell_level", "failed_evaluation"]


@dataclass(frozen=True)
class Evaluation:
    """What evaluating one cell gave.

    Attributes:
        accuracy: The monitored validation metric (validation accuracy unless the evaluator monitors another);
            ``None`` when the evaluation failed.
        status: ``"ok"``, ``"failed"``, or ``"pruned"`` (stopped early by a pruner: ``accuracy`` is its last value).
        parameters: Trainable parameters of the network, when known.
        seconds: Wall-clock seconds the evaluation took.
        error: What went wrong, for a failed evaluation.
        history: Per-epoch training curves, metric name -> values (empty when there are none).
        weights: The trained network's weights (a ``state_dict``), when the evaluator trained one; handed to the
            callbacks before the result is stored, never stored with it.
    """

    accuracy: float | None
    status: str = "ok"
    parameters: int | None = None
    seconds: float = 0.0
    error: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)
    weights: dict[str, Any] | None = field(default=None, repr=False, compare=False)


def cell_level(cell: Any) -> int:
    """How far a cell has grown: its number of blocks (0 for cells of spaces without blocks).

    The search's answer is the best cell of the highest level: a progressive search's last step.
    """
    return getattr(cell, "num_blocks", 0)


def failed_evaluation(error: BaseException, seconds: float) -> Evaluation:
    """The record of an evaluation that raised ``error`` after ``seconds``: its type and first line."""
    message = f"{type(error).__name__}: {error}".splitlines()[0]
    return Evaluation(None, status="failed", seconds=seconds, error=message)


class Evaluator(ABC):
    """Interface between a search and whatever measures a cell. Subclasses implement :meth:`evaluate`.

    Attributes:
        monitor: The name of the metric an evaluation reports (shown in logs and ``result.json``).
        mode: ``"max"`` when a higher value of it is better, ``"min"`` when a lower one is.
    """

    monitor: str = "val/acc"
    mode: str = "max"

    def start(self) -> None:  # noqa: B027 (an optional hook: nothing to do by default)
        """Start what evaluates cells (worker processes, ...); this one has nothing to start.

        :func:`~pnas.search.run.loop.run_search` calls it once, with the run directory locked and SIGINT/SIGTERM
        handled.
        """

    @abstractmethod
    def evaluate(self, cell: Any) -> Evaluation:
        """Measure ``cell`` (train it, look it up, ...) and report its monitored metric."""
        raise NotImplementedError

    def evaluate_all(self, cells: Sequence[Any]) -> Iterator[tuple[int, Evaluation]]:
        """Evaluate ``cells``; yield ``(index into cells, evaluation)`` for each as soon as it is finished.

        This implementation evaluates one cell after the other. An evaluator that runs several at once overrides
        it and yields in the order they finish. A cell whose evaluation raises is reported as ``"failed"`` with
        its error, and the others go on; a :class:`~pnas.errors.ConfigError` (a setting no cell can succeed
        with) propagates.
        """
        for index, cell in enumerate(cells):
            yield index, self._contained(cell)

    def _contained(self, cell: Any) -> Evaluation:
        start = time.perf_counter()
        try:
            return self.evaluate(cell)
        except ConfigError:
            raise
        except Exception as error:  # a failed candidate is recorded; the search goes on
            return failed_evaluation(error, time.perf_counter() - start)

    def recall(  # noqa: B027 (an optional hook)
        self, stored: Sequence[tuple[Any, Evaluation]], last_step: bool = False
    ) -> None:
        """Take the step's cells evaluated before (a resumed step), before :meth:`evaluate_all` gets the others.

        The loop calls it for every step, with the cells of the step that are stored (all of them for a step
        replayed whole, none for a new one), and ``last_step`` true for the search's last step (the level its
        answer comes from). An evaluator that compares a step's candidates (a pruner's rungs) counts them in;
        this one needs nothing of them.
        """

    def score(self, value: float | None) -> float | None:
        """``value`` as strategies see it, higher always better: the metric itself, or its negative in ``min`` mode."""
        if value is None or self.mode == "max":
            return value
        return -value

    def test(self, cell: Any, weights: dict[str, Any] | None = None, checkpoint: Path | None = None) -> float | None:
        """The test counterpart of the monitored metric for an evaluated ``cell``, or ``None`` when unknown.

        Args:
            cell: A cell this evaluator evaluated.
            weights: Its trained weights, as its evaluation handed them over, for an evaluator that trains.
            checkpoint: Where to save the trained model, if the evaluator has one.
        """
        return None
