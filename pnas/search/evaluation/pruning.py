"""Pruning: stopping a step's worse candidates before their last epoch, as Optuna's pruners and ASHA do.

A pruner sits between the evaluator and its executor. It turns a step's cells into jobs
(:class:`~pnas.search.evaluation.training.CandidateJob`), and each candidate it stops early comes back as a
``pruned`` evaluation holding the monitored value of its last epoch. The search records it, but a pruned candidate
is not a finished one: the strategy sees it as not evaluated, so it never trains the surrogate and never joins the
beam.

- :class:`MedianPruning` (``pruner: median``): after each epoch, a candidate whose value is worse than the median
  at that epoch of the candidates that finished in earlier steps stops (Optuna's ``MedianPruner``: completed trials
  only, none before 5 of them).
- :class:`SuccessiveHalving` (``pruner: successive_halving``): a step's candidates train for a first rung of
  epochs; the best third go on to three times as many epochs, and so on up to ``max_epochs``. Between rungs each
  candidate's training state is kept in the run directory, so a resumed search continues the rungs.

The last step of a search (the level its answer comes from) trains in full unless the pruner is made with
``prune_last_step=True``: the answer is then chosen among every one of that step's candidates, as without pruning.
"""

from __future__ import annotations

import copy
import math
import statistics
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pnas.errors import ConfigError
from pnas.search.evaluation.base import Evaluation
from pnas.search.evaluation.rung_states import RungJobs, RungStates
from pnas.search.evaluation.training import CandidateJob, TrainedCandidate

__all__ = ["PRUNERS", "MedianPruning", "NoPruning", "Pruner", "SuccessiveHalving", "create_pruner"]

#: The pruners a search can be given by name.
PRUNERS = ("none", "median", "successive_halving")

#: Trains jobs; yields ``(index into jobs, TrainedCandidate)`` as each finishes (an executor's ``run``).
Train = Callable[[Sequence[Any]], Iterator[tuple[int, TrainedCandidate]]]


@dataclass(frozen=True)
class PruningContext:
    """What a pruner needs to know of the search.

    Attributes:
        monitor: The metric that ranks candidates.
        mode: ``max`` or ``min``.
        max_epochs: A finished candidate's epochs.
        directory: Where a pruner may keep training states between rungs.
    """

    monitor: str
    mode: str
    max_epochs: int
    directory: Path | None = None

    def score(self, value: float) -> float:
        """``value`` with higher always better."""
        return value if self.mode == "max" else -value


class Pruner(ABC):
    """Decides which of a step's candidates stop early; :meth:`run` trains a step's cells through it.

    Attributes:
        prune_last_step: Whether the search's last step is pruned too; if not (the default), it trains in full.
    """

    name = "none"
    prune_last_step = False

    def settings(self) -> dict[str, Any]:
        """What identifies this pruner in a search's fingerprint: its name and settings."""
        return {"name": self.name}

    def fresh(self) -> Pruner:
        """A copy of this pruner that knows nothing of earlier searches: each search prunes with its own."""
        return copy.deepcopy(self)

    def for_step(self, last_step: bool) -> Pruner:
        """The pruner of a step: this one, or :class:`NoPruning` for the search's last step.

        The last step is pruned too only with :attr:`prune_last_step`.
        """
        return NoPruning() if last_step and not self.prune_last_step else self

    @abstractmethod
    def run(
        self,
        cells: Sequence[Any],
        stored: Sequence[tuple[Any, Evaluation]],
        train: Train,
        context: PruningContext,
    ) -> Iterator[tuple[int, TrainedCandidate]]:
        """Train ``cells`` with ``train``; yield ``(index into cells, TrainedCandidate)`` as each is done.

        Args:
            cells: The step's cells to train.
            stored: The step's other cells with their stored evaluations (a resumed step).
            train: Trains jobs.
            context: The search's monitored metric, its mode and a candidate's epochs.
        """
        raise NotImplementedError


class NoPruning(Pruner):
    """Every candidate trains all its epochs."""

    def run(
        self,
        cells: Sequence[Any],
        stored: Sequence[tuple[Any, Evaluation]],
        train: Train,
        context: PruningContext,
    ) -> Iterator[tuple[int, TrainedCandidate]]:
        """Train every cell for all its epochs."""
        yield from train(list(cells))


class MedianPruning(Pruner):
    """Stop a candidate after an epoch at which it is worse than the median of earlier steps' finished candidates.

    Args:
        min_finished: No bar at an epoch until this many finished candidates reached it.
        prune_last_step: Prune the search's last step too (by default it trains in full).
    """

    name = "median"

    def __init__(self, min_finished: int = 5, prune_last_step: bool = False) -> None:
        if min_finished < 1:
            raise ConfigError(f"min_finished must be >= 1, got {min_finished}")
        self.min_finished, self.prune_last_step = min_finished, prune_last_step
        self.finished: list[list[float]] = []  # the monitored curves of the candidates that finished

    def settings(self) -> dict[str, Any]:
        """The name, ``min_finished`` and ``prune_last_step``."""
        return {"name": self.name, "min_finished": self.min_finished, "prune_last_step": self.prune_last_step}

    def fresh(self) -> MedianPruning:
        """A copy with the same settings and no finished candidates: a search's bars come from its own."""
        return MedianPruning(self.min_finished, self.prune_last_step)

    def bars(self, max_epochs: int) -> dict[int, float]:
        """Epoch -> the median value at it of the finished candidates so far (epochs with enough of them)."""
        bars = {}
        for epoch in range(1, max_epochs):
            values = [curve[epoch - 1] for curve in self.finished if len(curve) >= epoch]
            if len(values) >= self.min_finished:
                bars[epoch] = statistics.median(values)
        return bars

    def run(
        self,
        cells: Sequence[Any],
        stored: Sequence[tuple[Any, Evaluation]],
        train: Train,
        context: PruningContext,
    ) -> Iterator[tuple[int, TrainedCandidate]]:
        """Train every cell against the bars of the steps before; this step's finished ones raise the next bars."""
        step = [_curve(evaluation, context) for _, evaluation in stored if evaluation.status == "ok"]
        bars = self.bars(context.max_epochs)
        for index, trained in train([CandidateJob(cell, bars=bars, mode=context.mode) for cell in cells]):
            if trained.evaluation.status == "ok":
                step.append(_curve(trained.evaluation, context))
            yield index, trained
        self.finished.extend(step)  # after the step, so a bar never depends on the order candidates finish in


class SuccessiveHalving(Pruner):
    """Train a step's candidates in rungs of ``min_epochs``, ``min_epochs * reduction``, ... epochs.

    After each rung the best ``1 / reduction`` of the candidates that reached it (rounded up) go on; the others
    are pruned with their value at the rung. The last rung is ``max_epochs``.

    Args:
        min_epochs: The first rung's epochs.
        reduction: How many times fewer candidates, and how many times more epochs, each rung has.
        prune_last_step: Prune the search's last step too (by default it trains in full).
    """

    name = "successive_halving"

    def __init__(self, min_epochs: int = 1, reduction: int = 3, prune_last_step: bool = False) -> None:
        if min_epochs < 1 or reduction < 2:
            raise ConfigError(
                f"successive halving needs min_epochs >= 1 and reduction >= 2, got {min_epochs}, {reduction}"
            )
        self.min_epochs, self.reduction, self.prune_last_step = min_epochs, reduction, prune_last_step

    def settings(self) -> dict[str, Any]:
        """The name, ``min_epochs``, ``reduction`` and ``prune_last_step``."""
        return {
            "name": self.name,
            "min_epochs": self.min_epochs,
            "reduction": self.reduction,
            "prune_last_step": self.prune_last_step,
        }

    def rungs(self, max_epochs: int) -> list[int]:
        """The epochs after which candidates are compared (the last, ``max_epochs``, excluded)."""
        rungs, epochs = [], self.min_epochs
        while epochs < max_epochs:
            rungs.append(epochs)
            epochs *= self.reduction
        return rungs

    def run(
        self,
        cells: Sequence[Any],
        stored: Sequence[tuple[Any, Evaluation]],
        train: Train,
        context: PruningContext,
    ) -> Iterator[tuple[int, TrainedCandidate]]:
        """Train the rungs, keeping each candidate's state between them; prune after each, then finish the rest."""
        if context.directory is None:
            raise ConfigError("successive halving needs a directory for the training states between rungs")
        states = RungStates(context.directory)
        for cell, _ in stored:
            states.forget(cell)  # stored just before an interruption, its state not yet removed
        alive = list(range(len(cells)))
        for rung in self.rungs(context.max_epochs):
            behind = [index for index in alive if states.epochs(cells[index]) < rung]
            yield from self._train(cells, behind, rung, states, train, alive)
            at_rung = {index: states.evaluation(cells[index]) for index in alive}
            reached = [(cells[index], evaluation) for index, evaluation in at_rung.items()]
            reached += [(cell, e) for cell, e in stored if e.status != "failed" and len(_curve(e, context)) >= rung]
            kept = self._best(reached, rung, context)
            for index, evaluation in at_rung.items():
                if str(cells[index]) in kept:
                    continue
                alive.remove(index)
                value = _curve(evaluation, context)[rung - 1]
                yield index, TrainedCandidate(replace(evaluation, accuracy=value, status="pruned"))
                states.forget(cells[index])
        yield from self._train(cells, list(alive), None, states, train, alive)

    def _train(
        self,
        cells: Sequence[Any],
        indices: list[int],
        rung: int | None,
        states: RungStates,
        train: Train,
        alive: list[int],
    ) -> Iterator[tuple[int, TrainedCandidate]]:
        """Train ``cells[indices]`` up to ``rung`` (``None``: to the end); yield those that finished or failed."""
        jobs = RungJobs([cells[index] for index in indices], rung, states)
        for position, trained in train(jobs):
            index, cell = indices[position], cells[indices[position]]
            evaluation = replace(trained.evaluation, seconds=trained.evaluation.seconds + states.seconds(cell))
            trained = replace(trained, evaluation=evaluation)
            if trained.checkpoint is not None and rung is not None:
                states.keep(cell, rung, trained)
                continue
            alive.remove(index)  # finished (at the end, or stopped by a callback of its own), or failed
            yield index, trained
            states.forget(cell)

    def _best(self, reached: list[tuple[Any, Evaluation]], rung: int, context: PruningContext) -> set[str]:
        """The cells (as strings) that go on from ``rung``: the best ``1 / reduction``, ties by cell string."""
        ranked = sorted(reached, key=lambda pair: (-context.score(_curve(pair[1], context)[rung - 1]), str(pair[0])))
        return {str(cell) for cell, _ in ranked[: math.ceil(len(ranked) / self.reduction)]}


def _curve(evaluation: Evaluation, context: PruningContext) -> list[float]:
    """The monitored metric's value after each epoch."""
    return evaluation.history.get(context.monitor, [])


def create_pruner(pruner: str | Pruner) -> Pruner:
    """The pruner of a search: ``none``, ``median``, ``successive_halving``, or a fresh copy of one given.

    Raises:
        ConfigError: An unknown name.
    """
    if isinstance(pruner, Pruner):
        return pruner.fresh()
    pruners: dict[str, type[Pruner]] = {
        "none": NoPruning,
        "median": MedianPruning,
        "successive_halving": SuccessiveHalving,
    }
    if pruner not in pruners:
        raise ConfigError(f"pruner must be one of {', '.join(PRUNERS)}, got {pruner!r}")
    return pruners[pruner]()
