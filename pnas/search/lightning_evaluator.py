"""Evaluate a cell by training it with Lightning: the template module rebuilt with the cell, a fresh ``Trainer``."""

from __future__ import annotations

import copy
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import Checkpoint, ProgressBar
from pytorch_lightning.cli import SaveConfigCallback
from pytorch_lightning.loggers.logger import DummyLogger

from pnas.errors import ConfigError
from pnas.search.candidates import (
    CandidateFactory,
    EpochHistory,
    FiniteLoss,
    quiet_lightning,
    warn_left_out,
)
from pnas.search.evaluation import Evaluation, Evaluator

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


class LightningEvaluator(Evaluator):
    """Train each cell as the template's LightningModule class with a fresh Lightning ``Trainer``.

    Each candidate is ``type(template)(genotype=<cell string>, **hyperparameters of the template)`` (see
    :class:`~pnas.search.candidates.CandidateFactory`). The value of ``monitor`` after the last epoch is the cell's
    result. The weights of the best cell so far are kept, so :meth:`test` evaluates that cell on the test split
    without training it again.

    Args:
        template: Any LightningModule whose ``__init__`` takes a ``genotype`` and that saves its hyperparameters.
        datamodule: The data every candidate trains and validates on (any LightningDataModule).
        trainer_kwargs: ``Trainer`` arguments for every candidate (``max_epochs``, ``accelerator``, ``precision``,
            ``callbacks``, ...). Checkpointing and progress-bar callbacks cannot apply to a candidate and are left
            out with a warning; the other callbacks run for every candidate (a fresh copy each time). Loggers are
            per-run settings and are not used.
        monitor: The logged metric that ranks candidates (``val/acc`` by default).
        mode: ``"max"`` or ``"min"``: whether a higher or a lower ``monitor`` is better.
        seed: Seed set before each candidate is built, so a candidate's result does not depend on its turn.
        verbose: Show Lightning's own output for each candidate.
        best_path: File keeping the best candidate's weights across restarts, so a resumed search can still test
            (and export) a best cell trained before the interruption.

    Raises:
        ConfigError: ``mode`` is not ``max`` or ``min``, or the template cannot build candidates.
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
        best_path: Path | None = None,
    ) -> None:
        if mode not in ("max", "min"):
            raise ConfigError(f"mode must be 'max' or 'min', got {mode!r}")
        self.factory = CandidateFactory(template)
        self.datamodule, self.monitor, self.mode = datamodule, monitor, mode
        trainer_kwargs = dict(trainer_kwargs or {})
        self.callbacks = _applicable_callbacks(trainer_kwargs.get("callbacks"))
        plain = {k: v for k, v in trainer_kwargs.items() if k not in _PER_RUN_TRAINER_KEYS}
        self.trainer_kwargs = {
            **plain,
            "logger": DummyLogger() if self.callbacks else False,  # callbacks such as LearningRateMonitor need one
            "enable_checkpointing": False,
            "enable_progress_bar": verbose,
            "enable_model_summary": verbose,
        }
        self.seed, self.verbose, self.best_path = seed, verbose, best_path
        self.best: tuple[str, float, dict[str, Any]] | None = None
        if best_path is not None and Path(best_path).is_file():
            try:
                saved = torch.load(best_path, map_location="cpu", weights_only=True)
                self.best = (saved["cell"], saved["accuracy"], saved["state_dict"])
            except Exception:  # unreadable (e.g. cut short): the weights are lost, the results are not
                self.best = None

    def check_data(self) -> None:
        """Fail early, with the shapes, when the data does not fit the template's ``in_channels``/``num_classes``.

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

    def _trainer(self, callbacks: list[pl.Callback]) -> pl.Trainer:
        return pl.Trainer(**self.trainer_kwargs, callbacks=[*callbacks, *copy.deepcopy(self.callbacks)])

    def _keep_best(self, cell: str, value: float, model: pl.LightningModule) -> None:
        self.best = (cell, value, copy.deepcopy(model.state_dict()))
        if self.best_path is not None:
            partial = Path(f"{self.best_path}.partial")
            torch.save({"cell": cell, "accuracy": value, "state_dict": self.best[2]}, partial)
            os.replace(partial, self.best_path)

    def evaluate(self, cell: Any) -> Evaluation:
        """Train ``cell`` and return its final ``monitor`` value, with its per-epoch curves.

        Raises:
            ConfigError: The candidate logged no ``monitor`` (the message lists what it did log).
        """
        start = time.perf_counter()
        pl.seed_everything(self.seed, verbose=False)
        history = EpochHistory()
        try:
            with quiet_lightning(not self.verbose):
                model = self.factory.build(cell)
                trainer = self._trainer([history, FiniteLoss()])
                trainer.fit(model, datamodule=self.datamodule)
        finally:
            if torch.cuda.is_available():  # give back what a failed (e.g. out-of-memory) candidate held
                torch.cuda.empty_cache()
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
        if self.best is None or self.better(value, self.best[1]):
            self._keep_best(str(cell), value, model)
        parameters = sum(p.numel() for p in model.parameters() if p.requires_grad)
        return Evaluation(value, parameters=parameters, seconds=time.perf_counter() - start, history=history.curves)

    @property
    def test_metric(self) -> str:
        """The test counterpart of ``monitor``: ``val/acc`` -> ``test/acc``, ``valid_f1`` -> ``test_f1``, ..."""
        for prefix in ("validation", "valid", "val"):
            rest = self.monitor[len(prefix) :]
            if self.monitor.startswith(prefix) and rest[:1] in ("/", "_", "-", "."):
                return "test" + rest
        return self.monitor

    def test(self, cell: Any, checkpoint: Path | None = None) -> float | None:
        """The :attr:`test_metric` of the best cell evaluated so far (``None`` for any other cell, or if not logged).

        Args:
            cell: The best cell evaluated so far.
            checkpoint: Where to save its trained model as a Lightning checkpoint; the module's
                ``load_from_checkpoint`` rebuilds it from that file alone.
        """
        if self.best is None or self.best[0] != str(cell):
            return None
        model = self.factory.build(cell)
        model.load_state_dict(self.best[2])
        with quiet_lightning(not self.verbose):
            trainer = self._trainer([])
            try:
                results = trainer.test(model, datamodule=self.datamodule, verbose=False)
            except Exception as error:  # no test_step, no test data, ...: keep the model, report no test figure
                print(
                    f"pnas: the best cell was not tested ({type(error).__name__}: {error})".splitlines()[0],
                    file=sys.stderr,
                )
                results = []
                trainer = self._trainer([])
                trainer.validate(model, datamodule=self.datamodule, verbose=False)  # attaches the model to save it
            if checkpoint is not None:
                partial = Path(f"{checkpoint}.partial")
                trainer.save_checkpoint(partial)
                os.replace(partial, checkpoint)
        metric = self.test_metric
        values = [r[k] for r in results for k in r if k == metric or k.startswith(f"{metric}/dataloader_idx_")]
        return float(values[0]) if values else None


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
