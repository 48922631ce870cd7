"""The LightningModule that trains one cell network: a search candidate or the final architecture."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from pnas.errors import ConfigError, require_integer
from pnas.nn import build_network
from pnas.space import Cell, resolve_genotype

if TYPE_CHECKING:
    from pnas.nn.costs import CellCosts

__all__ = ["LR_SCHEDULES", "PNASModule"]

#: The built-in learning-rate schedules of :class:`PNASModule` (used when no ``lr_scheduler`` is configured).
LR_SCHEDULES = ("cosine", "exponential")


class PNASModule(pl.LightningModule):
    """Train a :class:`~pnas.nn.CellNetwork` for image classification with cross-entropy.

    Logs ``train/loss``, ``train/acc``, ``val/loss``, ``val/acc``, ``test/loss`` and ``test/acc`` (with an
    auxiliary head also ``train/aux_loss``; with drop-path ``train/drop_path_keep_prob``, the last cell's). The
    genotype is stored in the hyperparameters as its canonical cell string, so a checkpoint alone rebuilds the model:
    ``PNASModule.load_from_checkpoint(path)``.

    The final-training recipe of the PNAS paper's reference code (see docs/networks.md, "Retraining the found cell"):
    ``aux_weight`` (auxiliary head), ``drop_path_keep_prob`` (scheduled drop-path, its time schedule running over
    the fit's ``estimated_stepping_batches``), ``label_smoothing``, and ``lr_schedule`` (cosine for CIFAR-10,
    exponential for ImageNet); cutout is an option of the data modules.

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
        lr_scheduler: Scheduler factory. Default: the built-in ``lr_schedule``.
        channels_last: Use the channels-last memory format (faster convolutions on recent GPUs).
        stem: ``"cifar"`` (one convolution) or ``"imagenet"`` (a strided convolution and two reduction cells).
        drop_path_keep_prob: Drop-path keep probability of the last cell at the end of training (0.6 in the
            reference's CIFAR-10 and Large recipes); 1: no drop-path.
        aux_weight: Weight of the auxiliary head's loss (0.4 in the reference's recipes); 0: no auxiliary head.
        image_size: Height (= width) of the input images; sizes the auxiliary head (only used when it is built).
        lr_schedule: Without ``lr_scheduler``: ``"cosine"`` (annealed to zero over all training steps, per step) or
            ``"exponential"`` (multiplied by ``lr_decay_rate`` every ``lr_decay_epochs`` epochs, counted in
            optimizer steps of the training data loader's length, as TF-slim's staircase ``exponential_decay``).
        lr_decay_rate: Factor of the exponential schedule.
        lr_decay_epochs: Epochs between two exponential decays (may be fractional).
        batch_norm_momentum: Momentum of every batch norm (``1 -`` TF-slim's ``batch_norm_decay``).
        batch_norm_eps: Epsilon of every batch norm.
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
        stem: str = "cifar",
        drop_path_keep_prob: float = 1.0,
        aux_weight: float = 0.0,
        image_size: int = 32,
        lr_schedule: str = "cosine",
        lr_decay_rate: float = 0.97,
        lr_decay_epochs: float = 2.4,
        batch_norm_momentum: float = 0.1,
        batch_norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        for name, value in (("num_classes", num_classes), ("in_channels", in_channels)):
            if value is None:
                raise ConfigError(
                    f"{name} is not set: give the data module a '{name}' attribute (pnas reads it from there) "
                    f"or pass {name} to the model"
                )
        if lr_schedule not in LR_SCHEDULES:
            raise ConfigError(f"lr_schedule must be one of {', '.join(LR_SCHEDULES)}, got {lr_schedule!r}")
        if not aux_weight >= 0:
            raise ConfigError(f"aux_weight must be >= 0 (0: no auxiliary head), got {aux_weight!r}")
        if not 0 < lr_decay_rate <= 1 or not lr_decay_epochs > 0:
            raise ConfigError(
                "lr_decay_rate must be in (0, 1] and lr_decay_epochs > 0, "
                f"got {lr_decay_rate!r} and {lr_decay_epochs!r}"
            )
        require_integer("image_size", image_size, 1)
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
            stem=stem,
            drop_path_keep_prob=drop_path_keep_prob,
            aux_head=aux_weight > 0,
            image_size=image_size,
            batch_norm_momentum=batch_norm_momentum,
            batch_norm_eps=batch_norm_eps,
        )
        if channels_last:
            self.network = self.network.to(memory_format=torch.channels_last)
        self.loss = nn.CrossEntropyLoss(label_smoothing=label_smoothing)
        self.optimizer, self.lr_scheduler = optimizer, lr_scheduler
        self._drop_path_steps = 1  # set from the fit's length when training starts
        self.metrics = nn.ModuleDict(
            {stage: MulticlassAccuracy(num_classes, average="micro") for stage in ("train_", "val_", "test_")}
        )

    @property
    def num_parameters(self) -> int:
        """Trainable parameters of the network, the auxiliary head (a training aid) not counted."""
        return self.network.num_parameters

    def cell_costs(self, input_size: Sequence[int], max_blocks: int) -> CellCosts:
        """The costs of the networks this module builds for other cells, counted before training.

        A search asks its template for them to enforce limits on parameters, multiply-adds and latency, and in
        Pareto mode; any module may define this method (see :class:`~pnas.nn.costs.CellCosts`).

        Args:
            input_size: ``(channels, height, width)`` of one training image.
            max_blocks: Blocks of the largest cell to cost.
        """
        import inspect

        from pnas.nn.costs import CellCosts
        from pnas.nn.network import CellNetwork

        settings = set(inspect.signature(CellNetwork).parameters) - {"genotype", "num_classes", "in_channels"}
        network = {name: value for name, value in self.hparams.items() if name in settings}
        return CellCosts(self.hparams.num_classes, input_size, max_blocks, **network)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        if self.hparams.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.network(x)

    def _training_steps(self, needed_by: str) -> int:
        """The fit's optimizer steps; a ``ConfigError`` when the run has no finite length to schedule over."""
        total = self.trainer.estimated_stepping_batches
        if not math.isfinite(total) or total < 1:
            raise ConfigError(
                f"{needed_by} needs a run of known length, but this fit's is {total}: "
                "set trainer.max_epochs or trainer.max_steps (and a data loader with a length)"
            )
        return int(total)

    def on_train_start(self) -> None:
        """Fix the length of the drop-path schedule: the fit's optimizer steps."""
        if self.hparams.drop_path_keep_prob < 1:
            self._drop_path_steps = self._training_steps("drop-path (drop_path_keep_prob < 1)")

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        """Move the drop-path schedule to this step's share of the fit's training steps."""
        if self.hparams.drop_path_keep_prob < 1:
            self.network.set_training_progress(self.global_step / self._drop_path_steps)

    def _step(self, batch: tuple[torch.Tensor, torch.Tensor], stage: str) -> torch.Tensor:
        inputs, targets = batch
        aux_logits = None
        if self.network.aux_head is not None and self.training:
            if self.hparams.channels_last:
                inputs = inputs.contiguous(memory_format=torch.channels_last)
            logits, aux_logits = self.network.forward_with_aux(inputs)
        else:
            logits = self(inputs)
        loss = self.loss(logits, targets)
        if aux_logits is not None:
            aux_loss = self.loss(aux_logits, targets)
            self.log("train/aux_loss", aux_loss, on_step=True, on_epoch=True, batch_size=len(targets))
            loss = loss + self.hparams.aux_weight * aux_loss
        if stage == "train" and self.hparams.drop_path_keep_prob < 1:
            self.log("train/drop_path_keep_prob", self.network.drop_path_keep_probs[-1], on_step=True, on_epoch=False)
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
        """The configured optimizer and scheduler, or SGD with momentum and the ``lr_schedule``, stepped per step."""
        if self.optimizer is None:
            optimizer = torch.optim.SGD(self.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=3e-4)
        else:
            optimizer = self.optimizer(self.parameters())
        if self.lr_scheduler is not None:
            return {"optimizer": optimizer, "lr_scheduler": self.lr_scheduler(optimizer)}
        total_steps = self._training_steps(f"lr_schedule {self.hparams.lr_schedule!r}")
        if self.hparams.lr_schedule == "cosine":
            scheduler: Any = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)
        else:
            if not math.isfinite(self.trainer.num_training_batches):  # not loaded yet when max_steps alone ends the fit
                self.trainer.fit_loop.setup_data()
            batches = self.trainer.num_training_batches
            steps_per_epoch = math.ceil(batches / self.trainer.accumulate_grad_batches) if math.isfinite(batches) else 0
            if steps_per_epoch < 1:
                raise ConfigError(
                    "lr_schedule 'exponential' decays every lr_decay_epochs epochs, so the training data loader "
                    "needs a length"
                )
            decay_steps = max(1.0, self.hparams.lr_decay_epochs * steps_per_epoch)
            rate = self.hparams.lr_decay_rate
            scheduler = torch.optim.lr_scheduler.LambdaLR(
                optimizer, functools.partial(_staircase_decay, rate=rate, decay_steps=decay_steps)
            )
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def _staircase_decay(step: int, rate: float, decay_steps: float) -> float:
    """``rate ** floor(step / decay_steps)``: TF's ``exponential_decay(..., staircase=True)`` as a factor."""
    return rate ** math.floor(step / decay_steps)
