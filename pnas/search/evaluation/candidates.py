"""One candidate of a search as Lightning sees it: built from the template, watched while it trains, kept quiet."""

from __future__ import annotations

import copy
import inspect
import logging
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from pnas.errors import ConfigError

__all__ = ["CandidateFactory", "EpochHistory", "EpochLimit", "FiniteLoss", "quiet_lightning", "warn_left_out"]


class CandidateFactory:
    """Builds each candidate as the template's class with the template's settings and the candidate's cell.

    The settings are the template's saved hyperparameters (``self.save_hyperparameters()`` in its ``__init__``).
    An ``__init__`` argument left out of them (an optimizer factory, say) is taken from the template's attribute of
    the same name when it has one, as scikit-learn's ``get_params`` does; otherwise the class default applies.

    Args:
        template: A LightningModule whose ``__init__`` takes a ``genotype`` argument.

    Raises:
        ConfigError: The class takes no ``genotype``, or it has settings but saved no hyperparameters.
    """

    def __init__(self, template: pl.LightningModule) -> None:
        self.cls = type(template)
        parameters = inspect.signature(self.cls.__init__).parameters
        if "genotype" not in parameters:
            raise ConfigError(
                f"{self.cls.__name__}.__init__ takes no 'genotype' argument; a search builds every candidate as "
                f"{self.cls.__name__}(genotype=<cell>, ...), so add that argument and build the network from it"
            )
        named = [
            name
            for name, parameter in parameters.items()
            if name not in ("self", "genotype")
            and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)
        ]
        hparams = {key: value for key, value in template.hparams.items() if not key.startswith("_")}
        if named and not hparams:
            raise ConfigError(
                f"{self.cls.__name__} saved no hyperparameters, so its candidates could not share the template's "
                "settings; call self.save_hyperparameters() in its __init__"
            )
        self.arguments: dict[str, Any] = {name: hparams[name] for name in named if name in hparams}
        for name in named:
            if name not in self.arguments and (name in vars(template) or name in template._modules):
                self.arguments[name] = getattr(template, name)

    def build(self, cell: Any) -> pl.LightningModule:
        """A fresh candidate for ``cell``; its ``genotype`` argument is the cell's canonical string.

        Each candidate gets its own copy of every ``nn.Module`` argument (a backbone, a metric), so none carries
        state from one candidate to the next; other arguments (settings, optimizer factories) are passed as they are.
        """
        arguments = {k: copy.deepcopy(v) if isinstance(v, nn.Module) else v for k, v in self.arguments.items()}
        return self.cls(genotype=str(cell), **arguments)


def warn_left_out(what: str, objects: list[Any], why: str) -> None:
    """Warn once, naming their classes, that the search does not use these trainer ``objects`` (if any)."""
    if objects:
        names = ", ".join(type(thing).__name__ for thing in objects)
        warnings.warn(f"the search leaves out these trainer {what}: {names} ({why})", UserWarning, stacklevel=4)


@contextmanager
def quiet_lightning(enabled: bool = True) -> Iterator[None]:
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


class StopWhenSet(pl.Callback):
    """Abandon a candidate at its next batch once ``event`` is set: the search no longer wants its result.

    Args:
        event: Set by whoever abandons the candidate (e.g. a search stopped by a signal).
    """

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def _check(self) -> None:
        if self.event.is_set():
            raise InterruptedError("the search abandoned this candidate")

    def on_train_batch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, index: int) -> None:
        """Stop before a training batch once abandoned."""
        self._check()

    def on_validation_batch_start(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, batch: Any, index: int, dataloader_idx: int = 0
    ) -> None:
        """Stop before a validation batch once abandoned."""
        self._check()


class FiniteLoss(pl.Callback):
    """Fail a candidate whose training loss went NaN or infinite; checked once per epoch, so no batch waits for it.

    The check is kept on the loss's device during the epoch and read back when the epoch ends.
    """

    def __init__(self) -> None:
        self._finite: torch.Tensor | None = None

    def on_train_batch_end(
        self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        """Note whether this batch's loss is finite, without waiting for it."""
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is not None:
            finite = torch.isfinite(loss.detach()).all()
            self._finite = finite if self._finite is None else self._finite & finite

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Raise ``FloatingPointError`` if any loss of the epoch was not finite."""
        finite, self._finite = self._finite, None
        if finite is not None and not bool(finite):
            raise FloatingPointError(f"non-finite training loss in epoch {trainer.current_epoch}")


class EpochHistory(pl.Callback):
    """Collects every epoch-level metric a candidate logs (``train/loss_epoch``, ``val/acc``, ...).

    Args:
        monitor: A metric collected after each validation whatever its name (the search's monitored one).

    Attributes:
        curves: Metric name -> one value per epoch.
    """

    def __init__(self, monitor: str | None = None) -> None:
        self.monitor = monitor
        self.curves: dict[str, list[float]] = {}

    def _collect(self, trainer: pl.Trainer, stage: str) -> None:
        if trainer.sanity_checking:
            return
        for name, value in trainer.callback_metrics.items():
            wanted = name.startswith(stage) or (stage == "val" and name == self.monitor)
            if wanted and not name.endswith("_step"):
                self.curves.setdefault(name, []).append(float(value))

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Record the validation metrics of the epoch."""
        self._collect(trainer, "val")

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Record the training metrics of the epoch."""
        self._collect(trainer, "train")


class EpochLimit(pl.Callback):
    """Ends a candidate's training early: at a rung of successive halving, or pruned for a value that falls short.

    Checked after each validation, where the epoch's monitored value is known.

    Args:
        monitor: The metric the limits apply to.
        stop_after: Stop after this many epochs (a rung): :attr:`stopped_at_rung` is then set.
        bars: Epoch -> the value ``monitor`` must reach by then to go on.
        mode: ``max`` when a value must be at least its bar, ``min`` when at most.

    Attributes:
        stopped_at_rung: Training stopped after ``stop_after`` epochs.
        pruned: Training stopped because the value fell short of its bar.
    """

    def __init__(
        self, monitor: str, stop_after: int | None = None, bars: dict[int, float] | None = None, mode: str = "max"
    ) -> None:
        self.monitor, self.stop_after, self.bars = monitor, stop_after, bars or {}
        self.sign = 1 if mode == "max" else -1
        self.stopped_at_rung = self.pruned = False

    def on_validation_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        """Stop after this epoch if it is the rung's last, or if the monitored value fell short."""
        if trainer.sanity_checking or self.monitor not in trainer.callback_metrics:
            return
        epochs = trainer.current_epoch + 1
        if trainer.max_epochs is not None and epochs >= trainer.max_epochs:
            return  # the last epoch: the candidate has finished
        bar = self.bars.get(epochs)
        if bar is not None and self.sign * (float(trainer.callback_metrics[self.monitor]) - bar) < 0:
            self.pruned = trainer.should_stop = True
        elif self.stop_after is not None and epochs >= self.stop_after:
            self.stopped_at_rung = trainer.should_stop = True
