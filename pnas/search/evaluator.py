"""How a search reaches training: the :class:`Evaluator` interface and its Lightning implementation.

A strategy never trains anything itself. It hands cells to an evaluator and gets an :class:`Evaluation` back, so
training with Lightning, a lookup in a benchmark table or a remote worker are interchangeable.
"""

from __future__ import annotations

import copy
import logging
import os
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch

from pnas.errors import ConfigError
from pnas.module import PNASModule
from pnas.space import Cell

__all__ = ["Evaluation", "Evaluator", "LightningEvaluator"]

#: Trainer settings that belong to one run, not to every candidate; the evaluator sets its own.
_PER_RUN_TRAINER_KEYS = {
    "logger",
    "callbacks",
    "enable_checkpointing",
    "enable_progress_bar",
    "enable_model_summary",
    "default_root_dir",
}


@dataclass(frozen=True)
class Evaluation:
    """What evaluating one cell gave.

    Attributes:
        accuracy: Validation accuracy in [0, 1]; ``None`` when the evaluation failed.
        status: ``"ok"`` or ``"failed"``.
        parameters: Trainable parameters of the network, when known.
        seconds: Wall-clock seconds the evaluation took.
        error: What went wrong, for a failed evaluation.
        history: Per-epoch training curves, metric name -> values (empty when there are none).
    """

    accuracy: float | None
    status: str = "ok"
    parameters: int | None = None
    seconds: float = 0.0
    error: str = ""
    history: dict[str, list[float]] = field(default_factory=dict)


class Evaluator:
    """Interface between a search and whatever measures a cell. Subclasses implement :meth:`evaluate`."""

    def evaluate(self, cell: Cell) -> Evaluation:
        """Measure ``cell`` (train it, look it up, ...) and report its validation accuracy."""
        raise NotImplementedError

    def test(self, cell: Cell, checkpoint: Path | None = None) -> float | None:
        """Test accuracy of an evaluated ``cell``, or ``None`` when this evaluator cannot tell.

        Args:
            cell: A cell this evaluator evaluated.
            checkpoint: Where to save the trained model, if the evaluator has one.
        """
        return None


@contextmanager
def _quiet_lightning(enabled: bool = True) -> Iterator[None]:
    """Silence Lightning's per-run banners and warnings while candidates train (when ``enabled``)."""
    if not enabled:
        yield
        return
    loggers = [logging.getLogger(name) for name in ("pytorch_lightning", "lightning_fabric", "lightning")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class LightningEvaluator(Evaluator):
    """Train each cell as a :class:`~pnas.module.PNASModule` with a fresh Lightning ``Trainer``.

    The validation accuracy after the last epoch is the cell's accuracy. The weights of the best cell so far are
    kept in memory, so :meth:`test` evaluates that cell on the test split without training it again.

    Args:
        datamodule: The data every candidate trains and validates on (any LightningDataModule).
        model_kwargs: :class:`PNASModule` arguments for every candidate (``num_cells``, ``filters``, ``optimizer``,
            ...); ``num_classes`` and ``in_channels`` default to the data module's attributes of those names.
        trainer_kwargs: ``Trainer`` arguments for every candidate (``max_epochs``, ``accelerator``,
            ``precision``, ...). Loggers, callbacks, checkpointing and progress bars are turned off.
        seed: Seed set before each candidate is built, so a candidate's result does not depend on its turn.
        verbose: Show Lightning's own output for each candidate.
        best_path: File keeping the best candidate's weights across restarts, so a resumed search can still test
            (and export) a best cell trained before the interruption.
    """

    def __init__(
        self,
        datamodule: pl.LightningDataModule,
        model_kwargs: dict[str, Any] | None = None,
        trainer_kwargs: dict[str, Any] | None = None,
        seed: int = 0,
        verbose: bool = False,
        best_path: Path | None = None,
    ) -> None:
        self.datamodule = datamodule
        self.model_kwargs = {key: value for key, value in (model_kwargs or {}).items() if key != "genotype"}
        for name in ("num_classes", "in_channels"):
            if name not in self.model_kwargs and hasattr(datamodule, name):
                self.model_kwargs[name] = getattr(datamodule, name)
        plain = {k: v for k, v in (trainer_kwargs or {}).items() if k not in _PER_RUN_TRAINER_KEYS}
        self.trainer_kwargs = {
            **plain,
            "logger": False,
            "enable_checkpointing": False,
            "enable_progress_bar": verbose,
            "enable_model_summary": verbose,
        }
        self.seed, self.verbose, self.best_path = seed, verbose, best_path
        self.best: tuple[Cell, float, dict[str, Any]] | None = None
        if best_path is not None and Path(best_path).is_file():
            try:
                saved = torch.load(best_path, map_location="cpu", weights_only=True)
                self.best = (Cell.from_string(saved["cell"]), saved["accuracy"], saved["state_dict"])
            except Exception:  # unreadable (e.g. cut short): the weights are lost, the results are not
                self.best = None

    def check_data(self) -> None:
        """Fail early, with the shapes, when the data does not fit the candidates' networks.

        Raises:
            ConfigError: The batches are not images of ``in_channels`` channels, or labels fall outside
                ``0 .. num_classes - 1``.
        """
        self.datamodule.prepare_data()
        self.datamodule.setup("fit")
        batch = next(iter(self.datamodule.train_dataloader()), None)
        if batch is None:
            raise ConfigError(f"the training data of {type(self.datamodule).__name__} is empty")
        inputs, targets = batch
        channels, classes = self.model_kwargs.get("in_channels", 3), self.model_kwargs.get("num_classes", 10)
        if inputs.ndim != 4 or inputs.shape[1] != channels:
            raise ConfigError(
                f"the data does not fit the model: batches have shape {tuple(inputs.shape)}, expected "
                f"(batch, {channels}, height, width); set in_channels to match the data"
            )
        if targets.min() < 0 or targets.max() >= classes:
            raise ConfigError(
                f"the data does not fit the model: labels reach {int(targets.max())}, but num_classes={classes}; "
                "set num_classes to match the data"
            )

    def _keep_best(self, cell: Cell, accuracy: float, model: PNASModule) -> None:
        self.best = (cell, accuracy, copy.deepcopy(model.state_dict()))
        if self.best_path is not None:
            partial = Path(f"{self.best_path}.partial")
            torch.save({"cell": cell.to_string(), "accuracy": accuracy, "state_dict": self.best[2]}, partial)
            os.replace(partial, self.best_path)

    def _build(self, cell: Cell) -> PNASModule:
        return PNASModule(cell, **self.model_kwargs)

    def evaluate(self, cell: Cell) -> Evaluation:
        """Train ``cell`` and return its final validation accuracy, with its per-epoch curves."""
        start = time.perf_counter()
        pl.seed_everything(self.seed, verbose=False)
        history = _EpochHistory()
        try:
            with _quiet_lightning(not self.verbose):
                model = self._build(cell)
                trainer = pl.Trainer(**self.trainer_kwargs, callbacks=[history, _FiniteLoss()])
                trainer.fit(model, datamodule=self.datamodule)
        finally:
            if torch.cuda.is_available():  # give back what a failed (e.g. out-of-memory) candidate held
                torch.cuda.empty_cache()
        if "val/acc" not in trainer.callback_metrics:
            raise ConfigError(
                "a candidate trained but logged no val/acc: the data module needs a val_dataloader, and the "
                "trainer limit_val_batches > 0"
            )
        accuracy = float(trainer.callback_metrics["val/acc"])
        if self.best is None or accuracy > self.best[1]:
            self._keep_best(cell, accuracy, model)
        seconds = time.perf_counter() - start
        return Evaluation(accuracy, parameters=model.num_parameters, seconds=seconds, history=history.curves)

    def test(self, cell: Cell, checkpoint: Path | None = None) -> float | None:
        """Test accuracy of the best cell evaluated so far (``None`` for any other cell).

        Args:
            cell: The best cell evaluated so far.
            checkpoint: Where to save its trained model as a Lightning checkpoint; ``PNASModule``'s
                ``load_from_checkpoint`` rebuilds it from that file alone.
        """
        if self.best is None or self.best[0] != cell:
            return None
        model = self._build(cell)
        model.load_state_dict(self.best[2])
        with _quiet_lightning(not self.verbose):
            trainer = pl.Trainer(**self.trainer_kwargs)
            (result,) = trainer.test(model, datamodule=self.datamodule, verbose=False)
            if checkpoint is not None:
                partial = Path(f"{checkpoint}.partial")
                trainer.save_checkpoint(partial)
                os.replace(partial, checkpoint)
        return float(result["test/acc"])


class _FiniteLoss(pl.Callback):
    """Fail a candidate as soon as its training loss is NaN or infinite."""

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None and not torch.isfinite(loss).all():
            raise FloatingPointError(f"non-finite training loss ({float(loss)}) at epoch {trainer.current_epoch}")


class _EpochHistory(pl.Callback):
    """Collects every epoch-level metric a candidate logs (``train/loss_epoch``, ``val/acc``, ...)."""

    def __init__(self) -> None:
        self.curves: dict[str, list[float]] = {}

    def _collect(self, trainer: pl.Trainer, stage: str) -> None:
        if trainer.sanity_checking:
            return
        for name, value in trainer.callback_metrics.items():
            if name.startswith(stage) and not name.endswith("_step"):
                self.curves.setdefault(name, []).append(float(value))

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._collect(trainer, "val/")

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._collect(trainer, "train/")
