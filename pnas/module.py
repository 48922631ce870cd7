"""The LightningModule that trains one cell network: a search candidate or the final architecture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from pnas.errors import ConfigError
from pnas.nn import build_network
from pnas.space import Cell, resolve_genotype

__all__ = ["PNASModule"]


class PNASModule(pl.LightningModule):
    """Train a :class:`~pnas.nn.CellNetwork` for image classification with cross-entropy.

    Logs ``train/loss``, ``train/acc``, ``val/loss``, ``val/acc``, ``test/loss`` and ``test/acc``. The genotype is
    stored in the hyperparameters as its canonical cell string, so a checkpoint alone rebuilds the model:
    ``PNASModule.load_from_checkpoint(path)``.

    Args:
        genotype: Registered name (``pnasnet5``), path to a genotype JSON file, cell string, or a ``Cell``.
        num_classes: Number of classes.
        in_channels: Channels of the input images.
        num_cells: N, cells per stage, the reduction cell included (as the reference implementation counts).
        filters: F, filters per block in the first stage.
        num_reductions: Reduction cells between stages.
        stem_multiplier: The stem convolution has ``stem_multiplier * filters`` channels.
        dropout: Dropout before the linear head.
        label_smoothing: Label smoothing of the cross-entropy loss.
        optimizer: Optimizer factory (``class_path``/``init_args`` in YAML). Default: SGD, lr 0.05,
            momentum 0.9, Nesterov, weight decay 3e-4.
        lr_scheduler: Scheduler factory. Default: cosine annealing to zero over all training steps.
        channels_last: Use the channels-last memory format (faster convolutions on recent GPUs).
    """

    def __init__(
        self,
        genotype: str = "pnasnet5",
        num_classes: int = 10,
        in_channels: int = 3,
        num_cells: int = 2,
        filters: int = 24,
        num_reductions: int = 2,
        stem_multiplier: int = 3,
        dropout: float = 0.0,
        label_smoothing: float = 0.0,
        optimizer: OptimizerCallable | None = None,
        lr_scheduler: LRSchedulerCallable | None = None,
        channels_last: bool = False,
    ) -> None:
        super().__init__()
        for name, value in (("num_classes", num_classes), ("in_channels", in_channels)):
            if value is None:
                raise ConfigError(
                    f"{name} is not set: give the data module a '{name}' attribute (pnas reads it from there) "
                    f"or pass {name} to the model"
                )
        cell = resolve_genotype(genotype if isinstance(genotype, (Cell, Path)) else str(genotype))
        self.save_hyperparameters(ignore=["optimizer", "lr_scheduler"])
        # Store the canonical cell text, not a name or a path: the checkpoint alone then rebuilds the model.
        self.hparams["genotype"] = self._hparams_initial["genotype"] = cell.to_string()
        self.genotype = cell
        self.network = build_network(
            cell,
            num_classes,
            in_channels=in_channels,
            num_cells=num_cells,
            filters=filters,
            num_reductions=num_reductions,
            stem_multiplier=stem_multiplier,
            dropout=dropout,
        )
        if channels_last:
            self.network = self.network.to(memory_format=torch.channels_last)
        self.loss = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        self.optimizer, self.lr_scheduler = optimizer, lr_scheduler
        self.metrics = nn.ModuleDict(
            {stage: MulticlassAccuracy(num_classes, average="micro") for stage in ("train_", "val_", "test_")}
        )

    @property
    def num_parameters(self) -> int:
        """Trainable parameters of the network."""
        return self.network.num_parameters

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        if self.hparams.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.network(x)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        inputs, targets = batch
        logits = self(inputs)
        loss = self.loss(logits, targets)
        accuracy = self.metrics[f"{stage}_"]
        accuracy(logits, targets)
        on_step = stage == "train"
        self.log(f"{stage}/loss", loss, on_step=on_step, on_epoch=True, prog_bar=True, batch_size=len(targets))
        self.log(f"{stage}/acc", accuracy, on_step=False, on_epoch=True, prog_bar=True, batch_size=len(targets))
        return loss

    def training_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> torch.Tensor:
        """Cross-entropy on one training batch."""
        return self._step(batch, "train")

    def validation_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        """Loss and accuracy on one validation batch."""
        self._step(batch, "val")

    def test_step(self, batch: tuple[torch.Tensor, torch.Tensor], batch_idx: int) -> None:
        """Loss and accuracy on one test batch."""
        self._step(batch, "test")

    def configure_optimizers(self) -> Any:
        """The configured optimizer and scheduler, or SGD with momentum and per-step cosine annealing."""
        if self.optimizer is None:
            optimizer = torch.optim.SGD(self.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=3e-4)
        else:
            optimizer = self.optimizer(self.parameters())
        if self.lr_scheduler is not None:
            return {"optimizer": optimizer, "lr_scheduler": self.lr_scheduler(optimizer)}
        total_steps = max(1, int(self.trainer.estimated_stepping_batches))
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
