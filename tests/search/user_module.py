"""A user's own LightningModule for search tests: its own loss, optimizer and metric (macro-F1), no PNASModule."""

from __future__ import annotations

import os
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn
from torchmetrics.classification import MulticlassF1Score

from pnas.data import DigitsDataModule
from pnas.nn import build_network


class F1Module(pl.LightningModule):
    """Logs ``train/loss``, ``val/f1``, ``val/loss`` and ``test/f1``; the optimizer factory is not a hyperparameter."""

    def __init__(
        self,
        genotype: str = "pnasnet5",
        num_classes: int = 10,
        in_channels: int = 1,
        filters: int = 4,
        lr: float = 0.05,
        optimizer: Any = None,
    ) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["optimizer"])
        self.optimizer = optimizer
        self.network = build_network(genotype, num_classes, in_channels=in_channels, num_cells=1, filters=filters)
        self.loss = nn.CrossEntropyLoss(label_smoothing=0.1)
        self.val_f1 = MulticlassF1Score(num_classes, average="macro")
        self.test_f1 = MulticlassF1Score(num_classes, average="macro")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        inputs, targets = batch
        loss = self.loss(self(inputs), targets)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        inputs, targets = batch
        logits = self(inputs)
        self.val_f1(logits, targets)
        self.log("val/f1", self.val_f1)
        self.log("val/loss", self.loss(logits, targets))

    def test_step(self, batch: Any, batch_idx: int) -> None:
        inputs, targets = batch
        self.test_f1(self(inputs), targets)
        self.log("test/f1", self.test_f1)

    def configure_optimizers(self) -> Any:
        if self.optimizer is not None:
            return self.optimizer(self.parameters())
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)


class CountingCallback(pl.Callback):
    """Counts, across the copies a search makes, how many candidates started fitting."""

    fits = 0

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        type(self).fits += 1


class NoGenotypeModule(pl.LightningModule):
    """Cannot be searched: its network does not depend on a cell."""

    def __init__(self, width: int = 4) -> None:
        super().__init__()
        self.save_hyperparameters()


class UntestedModule(F1Module):
    """Has no test step: the best cell can be exported but not tested."""

    test_step = pl.LightningModule.test_step


class CriterionModule(pl.LightningModule):
    """Takes a module as an argument, left out of its hyperparameters."""

    def __init__(self, genotype: str = "pnasnet5", criterion: nn.Module | None = None) -> None:
        super().__init__()
        self.save_hyperparameters(ignore=["criterion"])
        self.criterion = criterion if criterion is not None else nn.CrossEntropyLoss()


class DigitsThatKillWorkers(DigitsDataModule):
    """The digits, except that a worker process loading them dies at once (exit status 3), before it is ready."""

    def __init__(self) -> None:
        super().__init__()
        self.search_pid = os.getpid()

    def __setstate__(self, state: dict[str, Any]) -> None:
        if os.getpid() != state["search_pid"]:
            os._exit(3)
        self.__dict__.update(state)


class CountedF1Module(F1Module):
    """:class:`F1Module` that says how to count the networks it builds, so limits and Pareto mode apply to it."""

    def cell_costs(self, input_size: Any, max_blocks: int) -> Any:
        from pnas.nn.costs import CellCosts

        return CellCosts(self.hparams.num_classes, input_size, max_blocks, num_cells=1, filters=self.hparams.filters)


class TwoNetworkF1Module(F1Module):
    """:class:`F1Module` averaging two cell networks: the search cannot tell which one a cell's cost is."""

    def __init__(self, genotype: str = "pnasnet5", **kwargs: Any) -> None:
        super().__init__(genotype, **kwargs)
        self.second = build_network(genotype, self.hparams.num_classes, in_channels=self.hparams.in_channels,
                                    num_cells=1, filters=self.hparams.filters)  # fmt: skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.network(x) + self.second(x)) / 2
