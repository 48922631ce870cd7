"""Evaluate a cell by training it with Lightning: the template module rebuilt with the cell, a fresh ``Trainer``."""

from __future__ import annotations

import copy
import dataclasses
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import pytorch_lightning as pl
from pytorch_lightning.callbacks import Checkpoint, ProgressBar
from pytorch_lightning.cli import SaveConfigCallback
from pytorch_lightning.loggers.logger import DummyLogger

from pnas.errors import ConfigError
from pnas.files import replace_atomically
from pnas.resources import candidate_threads
from pnas.search.evaluation.base import Evaluation, Evaluator
from pnas.search.evaluation.candidate_runs import CandidateRuns
from pnas.search.evaluation.candidates import CandidateFactory, quiet_lightning, warn_left_out
from pnas.search.evaluation.pruning import NoPruning, Pruner, PruningContext, create_pruner
from pnas.search.evaluation.training import CandidateTraining, TrainedCandidate
from pnas.search.execution.base import CandidateExecutor
from pnas.search.execution.executors import check_executor_settings, create_executor

__all__ = ["LightningEvaluator"]

#: Trainer settings that belong to one run, not to every candidate; the evaluator sets its own.
_PER_RUN_TRAINER_KEYS = {
    "logger",
    "callbacks",
    "enable_checkpointing",
    "enable_progress_bar",
    "enable_model_summary",
    "default_root_dir",
}

#: Settings of every candidate's ``Trainer`` unless the user gives them: no sanity-check pass before training.
_LEAN_TRAINER_DEFAULTS = {"num_sanity_val_steps": 0}


class LightningEvaluator(Evaluator):
    """Train each cell as the template's LightningModule class with a fresh Lightning ``Trainer``.

    Each candidate is ``type(template)(genotype=<cell string>, **hyperparameters of the template)`` (see
    :class:`~pnas.search.evaluation.candidates.CandidateFactory`). The value of ``monitor`` after the last epoch is the
    cell's result, handed on with the trained weights (:attr:`Evaluation.weights`); what is kept of them is the
    search's business (:class:`~pnas.search.callbacks.best_model.BestModelExport`). :meth:`test` tests a cell from
    its weights, without training it again.

    Candidates train in this process (``workers=1``), in ``workers`` processes on this machine, or as Ray actors
    (``executor="ray"``); see :func:`~pnas.search.execution.executors.create_executor`. The workers start on first use
    and are reused until :meth:`close`.

    Args:
        template: Any LightningModule whose ``__init__`` takes a ``genotype`` and that saves its hyperparameters.
        datamodule: The data every candidate trains and validates on (any LightningDataModule).
        trainer_kwargs: ``Trainer`` arguments for every candidate (``max_epochs``, ``accelerator``, ``precision``,
            ``callbacks``, ...). Checkpointing and progress-bar callbacks cannot apply to a candidate and are left
            out with a warning; the other callbacks run for every candidate (a fresh copy each time). Loggers are
            per-run settings and are not used. Unless given, candidates skip Lightning's sanity-check pass.
        monitor: The logged metric that ranks candidates (``val/acc`` by default).
        mode: ``"max"`` or ``"min"``: whether a higher or a lower ``monitor`` is better.
        seed: Seed set before each candidate is built, so a candidate's result does not depend on its turn.
        verbose: Show Lightning's own output for each candidate.
        workers: Candidates trained at once.
        executor: ``local`` (this machine) or ``ray``.
        ray_address: An existing Ray cluster; unset starts a local Ray instance.
        num_cpus: CPU cores per candidate: its torch threads wherever it trains, and a Ray actor's ``num_cpus``.
            Unset: ``OMP_NUM_THREADS`` when set, else 1, whatever ``workers`` is, so results do not depend on it.
        num_gpus: GPUs per candidate on Ray (fractions share a GPU).
        pruner: Which candidates stop before their last epoch (:mod:`~pnas.search.evaluation.pruning`): ``none``,
            ``median``, ``successive_halving`` or a :class:`~pnas.search.evaluation.pruning.Pruner`.
        states_dir: Where successive halving keeps the candidates' training states between rungs.
        candidate_runs: Each candidate's own W&B run, logged to live as it trains (``None``: none).

    Raises:
        ConfigError: ``mode`` is not ``max`` or ``min``, an executor setting is out of range, the template
            cannot build candidates, or a pruner is set without ``max_epochs`` or with validation less often
            than every epoch.
    """

    def __init__(
        self,
        template: pl.LightningModule,
        datamodule: pl.LightningDataModule,
        trainer_kwargs: dict[str, Any] | None = None,
        monitor: str = "val/acc",
        mode: str = "max",
        seed: int = 0,
        verbose: bool = False,
        workers: int = 1,
        executor: Literal["local", "ray"] = "local",
        ray_address: str | None = None,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
        pruner: str | Pruner = "none",
        states_dir: Path | None = None,
        candidate_runs: CandidateRuns | None = None,
    ) -> None:
        if mode not in ("max", "min"):
            raise ConfigError(f"mode must be 'max' or 'min', got {mode!r}")
        self.factory = CandidateFactory(template)
        self.input_size: tuple[int, ...] | None = None
        self.datamodule, self.monitor, self.mode = datamodule, monitor, mode
        trainer_kwargs = dict(trainer_kwargs or {})
        callbacks = _applicable_callbacks(trainer_kwargs.get("callbacks"))
        plain = {k: v for k, v in trainer_kwargs.items() if k not in _PER_RUN_TRAINER_KEYS}
        self.trainer_kwargs = {
            **plain,
            "logger": DummyLogger() if callbacks else False,  # callbacks such as LearningRateMonitor need one
            "enable_checkpointing": False,
            "enable_progress_bar": verbose,
            "enable_model_summary": verbose,
        }
        check_executor_settings(workers, executor, ray_address, num_cpus, num_gpus, self.trainer_kwargs)
        lean = {**_LEAN_TRAINER_DEFAULTS, **self.trainer_kwargs}
        threads = candidate_threads(num_cpus)
        self.training = CandidateTraining(
            self.factory, datamodule, lean, callbacks, monitor, seed, verbose, threads, candidate_runs
        )
        self.executor_settings = dict(
            workers=workers, executor=executor, ray_address=ray_address, num_cpus=num_cpus, num_gpus=num_gpus
        )
        self._executor: CandidateExecutor | None = None
        self.seed, self.verbose = seed, verbose
        self.pruner = create_pruner(pruner)
        self.pruning = _pruning_context(self.pruner, self.trainer_kwargs, monitor, mode, states_dir)
        self._stored: list[tuple[Any, Evaluation]] = []  # the stored cells of the step under way
        self._last_step = False  # whether the step under way is the search's last

    def check_data(self) -> None:
        """Fail early, with the shapes, when the data does not fit the template's ``in_channels``/``num_classes``.

        Records the shape of one input (``input_size``: ``(channels, height, width)``; ``None`` for batches that are
        not ``(inputs, targets)``).

        Raises:
            ConfigError: The training data is empty, its batches are not images of ``in_channels`` channels, or
                labels fall outside ``0 .. num_classes - 1`` (each checked when the template has that setting).
        """
        self.datamodule.prepare_data()
        self.datamodule.setup("fit")
        batch = next(iter(self.datamodule.train_dataloader()), None)
        if batch is None:
            raise ConfigError(f"the training data of {type(self.datamodule).__name__} is empty")
        if not isinstance(batch, (list, tuple)) or len(batch) < 2:
            return  # not (inputs, targets): the module knows its own batches
        inputs, targets = batch[0], batch[1]
        self.input_size = tuple(int(size) for size in inputs.shape[1:])
        channels, classes = self.factory.arguments.get("in_channels"), self.factory.arguments.get("num_classes")
        if channels is not None and (inputs.ndim != 4 or inputs.shape[1] != channels):
            raise ConfigError(
                f"the data does not fit the model: batches have shape {tuple(inputs.shape)}, expected "
                f"(batch, {channels}, height, width); set in_channels to match the data"
            )
        if classes is not None and (targets.min() < 0 or targets.max() >= classes):
            raise ConfigError(
                f"the data does not fit the model: labels reach {int(targets.max())}, but num_classes={classes}; "
                "set num_classes to match the data"
            )

    def evaluate(self, cell: Any) -> Evaluation:
        """Train ``cell`` in this process; its final ``monitor`` value, with its per-epoch curves.

        A failed training is a ``failed`` evaluation with its error.

        Raises:
            ConfigError: The candidate logged no ``monitor`` (the message lists what it did log).
        """
        return _with_weights(self.training.train(cell))

    def recall(self, stored: Sequence[tuple[Any, Evaluation]], last_step: bool = False) -> None:
        """Keep the step's stored evaluations for the pruner, and whether the step is the search's last.

        The pruner's rungs count the stored evaluations in; the last step trains in full unless the pruner prunes
        it too.
        """
        self._stored, self._last_step = list(stored), last_step

    def evaluate_all(self, cells: Sequence[Any]) -> Iterator[tuple[int, Evaluation]]:
        """Train ``cells`` with the configured executor; yield each evaluation as soon as its candidate finishes.

        With a pruner, a candidate it stops early is a ``pruned`` evaluation with its last value and no weights.

        Raises:
            ConfigError: A candidate logged no ``monitor``, or the executor cannot start.
        """
        stored, self._stored = self._stored, []
        pruner = self.pruner.for_step(self._last_step)
        for index, trained in pruner.run(cells, stored, self._train, self.pruning):
            yield index, _with_weights(trained)

    def _train(self, jobs: Sequence[Any]) -> Iterator[tuple[int, TrainedCandidate]]:
        """Train ``jobs`` (cells or candidate jobs) with the executor, started on first use."""
        if not jobs:
            return
        if self._executor is None:
            self._executor = create_executor(self.training, **self.executor_settings)
        yield from self._executor.run(jobs)

    def start(self) -> None:
        """Start the executor's workers now, so they load while the search sets up (else on the first cells).

        Raises:
            ConfigError: The executor cannot start (e.g. the job cannot be sent to worker processes).
        """
        if self._executor is None:
            self._executor = create_executor(self.training, **self.executor_settings)
        self._executor.start()

    @property
    def test_metric(self) -> str:
        """The test counterpart of ``monitor``: ``val/acc`` -> ``test/acc``, ``valid_f1`` -> ``test_f1``, ..."""
        for prefix in ("validation", "valid", "val"):
            rest = self.monitor[len(prefix) :]
            if self.monitor.startswith(prefix) and rest[:1] in ("/", "_", "-", "."):
                return "test" + rest
        return self.monitor

    def test(self, cell: Any, weights: dict[str, Any] | None = None, checkpoint: Path | None = None) -> float | None:
        """The :attr:`test_metric` of ``cell`` trained to ``weights`` (``None`` without weights, or if not logged).

        Args:
            cell: A cell this evaluator trained.
            weights: Its trained weights, as its evaluation handed them over.
            checkpoint: Where to save its trained model as a Lightning checkpoint; the module's
                ``load_from_checkpoint`` rebuilds it from that file alone.
        """
        if weights is None:
            return None
        model = self.factory.build(cell)
        model.load_state_dict(weights)
        with quiet_lightning(not self.verbose):
            trainer = self.training.trainer([])
            try:
                results = trainer.test(model, datamodule=self.datamodule, verbose=False)
            except Exception as error:  # no test_step, no test data, ...: keep the model, report no test figure
                print(
                    f"pnas: the best cell was not tested ({type(error).__name__}: {error})".splitlines()[0],
                    file=sys.stderr,
                )
                results = []
                trainer = self.training.trainer([])
                trainer.validate(model, datamodule=self.datamodule, verbose=False)  # attaches the model to save it
            if checkpoint is not None:
                replace_atomically(checkpoint, trainer.save_checkpoint)
        metric = self.test_metric
        values = [r[k] for r in results for k in r if k == metric or k.startswith(f"{metric}/dataloader_idx_")]
        return float(values[0]) if values else None

    def close(self) -> None:
        """Stop the workers, if any were started."""
        if self._executor is not None:
            self._executor.close()
            self._executor = None


def _with_weights(trained: TrainedCandidate) -> Evaluation:
    """The evaluation of a trained candidate, its weights handed over with it."""
    if trained.state_dict is None:
        return trained.evaluation
    return dataclasses.replace(trained.evaluation, weights=trained.state_dict)


def _pruning_context(
    pruner: Pruner, trainer_kwargs: dict[str, Any], monitor: str, mode: str, states_dir: Path | None
) -> PruningContext:
    """What ``pruner`` needs to know; checks that candidates validate after every epoch of a known number.

    Raises:
        ConfigError: A pruner with ``max_epochs`` unset, or with validation less often than every epoch.
    """
    max_epochs = trainer_kwargs.get("max_epochs")
    if not isinstance(pruner, NoPruning):
        if max_epochs is None or max_epochs < 1:
            raise ConfigError(f"pruner {pruner.name} needs trainer max_epochs (epochs per candidate) >= 1")
        if trainer_kwargs.get("check_val_every_n_epoch", 1) != 1:
            raise ConfigError(
                f"pruner {pruner.name} compares candidates after every epoch, so it needs validation after every "
                "epoch: drop trainer check_val_every_n_epoch, or set pruner: none"
            )
    return PruningContext(monitor, mode, max_epochs or 1, states_dir)


def _applicable_callbacks(callbacks: Any) -> list[pl.Callback]:
    """The user's callbacks that can run for every candidate; warn about (and drop) those that cannot."""
    if callbacks is None:
        return []
    callbacks = list(callbacks) if isinstance(callbacks, (list, tuple)) else [callbacks]
    # The CLI's own config saver: the search writes config.yaml itself.
    callbacks = [callback for callback in callbacks if not isinstance(callback, SaveConfigCallback)]
    for callback in callbacks:
        try:
            copy.deepcopy(callback)
        except Exception as error:
            raise ConfigError(
                f"the trainer callback {type(callback).__name__} cannot be copied ({type(error).__name__}: {error}); "
                "the search gives every candidate a fresh copy of each callback"
            ) from None
    dropped = [callback for callback in callbacks if isinstance(callback, (Checkpoint, ProgressBar))]
    why = "checkpoints and progress bars are the search's own: best.ckpt and its bars; the others run per candidate"
    warn_left_out("callbacks", dropped, why)
    return [callback for callback in callbacks if callback not in dropped]
