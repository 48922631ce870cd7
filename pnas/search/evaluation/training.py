"""Training one candidate with Lightning, as a self-contained, picklable job that any worker process can run.

:class:`CandidateTraining` holds everything a candidate needs (the candidate factory, the data module, the trainer
settings and callbacks, the monitored metric, the seed) and nothing that belongs to the search (the best weights,
the store). The in-process executor, the worker processes and Ray actors all train through :meth:`train`.
"""

from __future__ import annotations

import copy
import math
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from pnas.errors import ConfigError
from pnas.search.evaluation.base import Evaluation, failed_evaluation
from pnas.search.evaluation.candidate_runs import CandidateRuns
from pnas.search.evaluation.candidates import (
    CandidateFactory,
    EpochHistory,
    EpochLimit,
    FiniteLoss,
    StopWhenSet,
    quiet_lightning,
)

__all__ = ["CandidateJob", "CandidateTraining", "TrainedCandidate"]


@dataclass(frozen=True)
class CandidateJob:
    """One candidate's training when it may stop early: the cell, and where its training starts and ends.

    A plain cell is the job of training it for all its epochs; a pruner (:mod:`~pnas.search.evaluation.pruning`)
    sends jobs instead.

    Attributes:
        cell: The candidate's cell.
        stop_after: Stop after this many epochs and hand back the training state (a rung of successive halving).
        bars: Epoch -> the monitored value a candidate must reach by then (at least it in ``max`` mode, at most in
            ``min`` mode); one that falls short stops there as ``pruned``.
        mode: ``max`` or ``min``: which way ``bars`` are met.
        resume: A training state handed back by an earlier job of the same cell, to continue from.
        history: The per-epoch curves of the epochs before ``resume``.
    """

    cell: Any
    stop_after: int | None = None
    bars: dict[int, float] = field(default_factory=dict)
    mode: str = "max"
    resume: bytes | None = field(default=None, repr=False)
    history: dict[str, list[float]] = field(default_factory=dict, repr=False)


@dataclass
class TrainedCandidate:
    """What training one candidate gave: its evaluation and, when it succeeded, its trained weights.

    The weights are the finished model's own tensors, not copies (the search copies the few it keeps); a
    candidate sent back from a worker process carries them on the CPU. A job that stopped at a rung
    (:attr:`CandidateJob.stop_after`) hands back its whole training state instead (``checkpoint``: a Lightning
    checkpoint's bytes) and no weights.
    """

    evaluation: Evaluation
    state_dict: dict[str, torch.Tensor] | None = None
    checkpoint: bytes | None = field(default=None, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled with the weights on the CPU, so the receiving process needs no GPU."""
        weights = self.state_dict
        cpu = None if weights is None else {name: tensor.cpu() for name, tensor in weights.items()}
        return {"evaluation": self.evaluation, "state_dict": cpu, "checkpoint": self.checkpoint}


class CandidateTraining:
    """Train a cell as a candidate module with a fresh ``Trainer``; the job every executor runs.

    Args:
        factory: Builds the candidate module of a cell.
        datamodule: The data every candidate trains and validates on.
        trainer_kwargs: ``Trainer`` arguments for every candidate, callbacks excluded.
        callbacks: The user's callbacks; every candidate gets a fresh copy of each.
        monitor: The logged metric that is the candidate's result.
        seed: Seed set before each candidate is built, so a candidate's result does not depend on its turn.
        verbose: Show Lightning's own output.
        threads: Torch CPU threads of each candidate, wherever it trains (:func:`~pnas.resources.candidate_threads`),
            so that the results do not depend on where or beside what it trained.
        runs: Each candidate's own W&B run, logged to live as it trains (``None``: none).
    """

    def __init__(
        self,
        factory: CandidateFactory,
        datamodule: pl.LightningDataModule,
        trainer_kwargs: dict[str, Any],
        callbacks: list[pl.Callback],
        monitor: str,
        seed: int,
        verbose: bool,
        threads: int = 1,
        runs: CandidateRuns | None = None,
    ) -> None:
        self.factory, self.datamodule = factory, datamodule
        self.trainer_kwargs, self.callbacks = trainer_kwargs, callbacks
        self.monitor, self.seed, self.verbose, self.threads = monitor, seed, verbose, threads
        self.runs = runs

    def __getstate__(self) -> dict[str, Any]:
        """The job as it is sent to a worker: the data module without a ``Trainer`` that an earlier fit attached."""
        state = dict(self.__dict__)
        if getattr(self.datamodule, "trainer", None) is not None:
            state["datamodule"] = copy.copy(self.datamodule)
            state["datamodule"].trainer = None
        return state

    def trainer(self, callbacks: list[pl.Callback], logger: Any = None) -> pl.Trainer:
        """A fresh ``Trainer``: the candidate settings, ``callbacks``, copies of the user's callbacks, ``logger``."""
        kwargs = {**self.trainer_kwargs, **({"logger": logger} if logger is not None else {})}
        return pl.Trainer(**kwargs, callbacks=[*callbacks, *copy.deepcopy(self.callbacks)])

    def train(self, cell: Any, stop: threading.Event | None = None) -> TrainedCandidate:
        """Train ``cell``; a failure (an exception, a non-finite metric) is a ``failed`` evaluation with its error.

        Args:
            cell: The candidate's cell, or a :class:`CandidateJob` that says where its training starts and stops.
            stop: When given and set, the candidate is abandoned at its next batch (a ``failed`` evaluation).

        Raises:
            ConfigError: A setting no candidate can succeed with, e.g. the candidate logged no ``monitor``.
        """
        start, threads = time.perf_counter(), torch.get_num_threads()
        torch.set_num_threads(self.threads)
        job = cell if isinstance(cell, CandidateJob) else CandidateJob(cell)
        try:
            return self._train(job, start, stop)
        except ConfigError:
            raise
        except Exception as error:  # a failed candidate is recorded; the search goes on
            if isinstance(error, torch.cuda.OutOfMemoryError):
                torch.cuda.empty_cache()  # give back what the failed candidate held
            return TrainedCandidate(failed_evaluation(error, time.perf_counter() - start))
        finally:
            torch.set_num_threads(threads)

    def _train(self, job: CandidateJob, start: float, stop: threading.Event | None) -> TrainedCandidate:
        pl.seed_everything(self.seed, verbose=False)
        history, limit = EpochHistory(self.monitor), EpochLimit(self.monitor, job.stop_after, job.bars, job.mode)
        logger = self.runs.start(job.cell) if self.runs is not None else None
        status, value = "failed", None
        try:
            trained = self._fit(job, start, stop, history, limit, logger)
            status, value = trained.evaluation.status, trained.evaluation.accuracy
            return trained
        finally:
            if logger is not None:
                self.runs.finish(logger, "rung" if limit.stopped_at_rung else status, value)

    def _fit(
        self,
        job: CandidateJob,
        start: float,
        stop: threading.Event | None,
        history: EpochHistory,
        limit: EpochLimit,
        logger: Any,
    ) -> TrainedCandidate:
        with quiet_lightning(not self.verbose), tempfile.TemporaryDirectory(prefix="pnas-candidate-") as folder:
            model = self.factory.build(job.cell)
            watchers = [history, limit, FiniteLoss(), *([StopWhenSet(stop)] if stop is not None else [])]
            trainer = self.trainer(watchers, logger)
            resume = None
            if job.resume is not None:
                resume = Path(folder) / "resume.ckpt"
                resume.write_bytes(job.resume)
            trainer.fit(model, datamodule=self.datamodule, ckpt_path=resume)
            checkpoint = None
            if limit.stopped_at_rung:
                trainer.save_checkpoint(Path(folder) / "rung.ckpt")
                checkpoint = (Path(folder) / "rung.ckpt").read_bytes()
        if self.monitor not in trainer.callback_metrics:
            logged = ", ".join(sorted(trainer.callback_metrics)) or "nothing"
            raise ConfigError(
                f"a candidate trained but logged no {self.monitor} (it logged: {logged}); set monitor to a metric "
                "the model logs in validation, and make sure the data module has a val_dataloader and the trainer "
                "limit_val_batches > 0"
            )
        value = float(trainer.callback_metrics[self.monitor])
        if not math.isfinite(value):
            raise FloatingPointError(f"{self.monitor} is {value}")
        parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
        seconds = time.perf_counter() - start
        names = dict.fromkeys([*job.history, *history.curves])
        curves = {name: [*job.history.get(name, []), *history.curves.get(name, [])] for name in names}
        status = "pruned" if limit.pruned else "ok"
        evaluation = Evaluation(value, status=status, parameters=parameters, seconds=seconds, history=curves)
        if status == "pruned" or checkpoint is not None:
            return TrainedCandidate(evaluation, checkpoint=checkpoint)
        return TrainedCandidate(evaluation, {name: tensor.detach() for name, tensor in model.state_dict().items()})
