"""A classification network stacked from one cell genotype, and its builder (TF-slim PNASNet's topology)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from pnas.errors import ConfigError, require_integer
from pnas.nn.cell import CellModule
from pnas.nn.training_aids import AuxiliaryHead, scheduled_keep_prob
from pnas.space import Cell, resolve_genotype

__all__ = ["STEMS", "CellNetwork", "build_network"]

#: The stems a :class:`CellNetwork` can start with.
STEMS = ("cifar", "imagenet")
_IMAGENET_STEM_FILTERS = 32  # nasnet._imagenet_stem: int(32 * stem_multiplier) filters
_IMAGENET_STEM_CELLS = 2  # nasnet._imagenet_stem: num_stem_cells


class CellNetwork(nn.Module):
    """Stem, ``num_reductions + 1`` stages of ``num_cells`` cells, each stage after the first led by a reduction cell.

    The topology of TF-slim's PNASNet (``pnasnet._build_pnasnet_base``): ``(num_reductions + 1) * num_cells`` cells
    after the stem, the reduction cells (stride 2) at ``nasnet_utils.calc_reduction_layers``, which for that count
    are cells ``num_cells, 2 * num_cells, ...``. So N = 3 gives 3 normal cells, a reduction cell, 2 normal cells, a
    reduction cell and 2 normal cells, as in the paper's CIFAR-10 (N=3) and Mobile (N=3) models. Every cell,
    reduction cells included, is built from the same genotype; cell ``c`` reads H[c-2] and H[c-1] (see
    :class:`CellModule`); filters start at ``filters`` per block and double at every reduction cell
    (``filter_scaling_rate`` 2). The head is ReLU, global average pooling, dropout and a linear layer.

    Stems (``nasnet._cifar_stem`` and ``nasnet._imagenet_stem``):

    - ``"cifar"``: a 3x3 convolution with ``stem_multiplier * filters`` filters and batch norm;
    - ``"imagenet"``: a 3x3 stride-2 unpadded convolution with ``32 * stem_multiplier`` filters and batch norm,
      then two reduction cells of the same genotype with ``filters // 4`` and ``filters // 2`` filters per block
      (``filters`` must then be at least 4): the first stage sees inputs shrunk 8-fold.

    Training aids (:mod:`pnas.nn.training_aids`), both off by default and inactive in evaluation mode:

    - ``drop_path_keep_prob < 1``: scheduled drop-path in every cell; :meth:`set_training_progress` moves it along
      (:class:`~pnas.PNASModule` does so at every training step);
    - ``aux_head=True``: an auxiliary classifier on the cell before the second reduction cell, which needs the
      input's ``image_size`` to size its last convolution; :meth:`forward_with_aux` returns its logits too.

    Args:
        genotype: The cell used for every normal and reduction cell.
        num_classes: Number of output logits.
        in_channels: Channels of the input images.
        num_cells: N, cells per stage, the reduction cell included; 0 leaves only the stem and the head.
        filters: F, filters per block in the first stage.
        num_reductions: Reduction cells (stride 2) between stages.
        stem_multiplier: Scales the stem convolution's filters (see above).
        dropout: Dropout probability before the linear head.
        stem: ``"cifar"`` or ``"imagenet"``.
        drop_path_keep_prob: Keep probability of drop-path in the last cell at the end of training; 1: none.
        aux_head: Build the auxiliary head (needs ``num_reductions >= 2`` and ``num_cells >= 1``).
        image_size: Height (= width) of the input images; used to size the auxiliary head.
        batch_norm_momentum: Momentum of every batch norm's running statistics (PyTorch's convention: TF-slim's
            ``batch_norm_decay`` is ``1 - batch_norm_momentum``; the reference's CIFAR scope uses 0.1, its ImageNet
            scopes 0.0003).
        batch_norm_eps: Epsilon of every batch norm (the reference: 1e-5 on CIFAR, 1e-3 on ImageNet).

    Attributes:
        num_stem_cells: Cells of the stem (2 for ``"imagenet"``), the first entries of ``cells``.
        cells: Every cell after the stem convolution, stem cells first.
        aux_cell_index: Index in ``cells`` of the cell the auxiliary head reads, or ``None``.
        aux_head: The :class:`~pnas.nn.training_aids.AuxiliaryHead`, or ``None``.
        drop_path_keep_prob: The final keep probability of drop-path.

    Raises:
        ConfigError: A size is below its minimum, ``stem`` is unknown, ``dropout`` is outside [0, 1),
            ``drop_path_keep_prob`` outside (0, 1], or the auxiliary head has no cell to read; the message names
            the argument.
    """

    def __init__(
        self,
        genotype: Cell,
        num_classes: int,
        in_channels: int = 3,
        num_cells: int = 2,
        filters: int = 24,
        num_reductions: int = 2,
        stem_multiplier: int = 3,
        dropout: float = 0.0,
        stem: str = "cifar",
        drop_path_keep_prob: float = 1.0,
        aux_head: bool = False,
        image_size: int = 32,
        batch_norm_momentum: float = 0.1,
        batch_norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        if stem not in STEMS:
            raise ConfigError(f"stem must be one of {', '.join(STEMS)}, got {stem!r}")
        for name, value, minimum in (
            ("num_classes", num_classes, 1),
            ("in_channels", in_channels, 1),
            ("num_cells", num_cells, 0),
            ("filters", filters, 4 if stem == "imagenet" else 1),
            ("num_reductions", num_reductions, 0),
            ("stem_multiplier", stem_multiplier, 1),
        ):
            require_integer(name, value, minimum)
        if not 0 <= dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout!r}")
        if not 0 < drop_path_keep_prob <= 1:
            raise ConfigError(f"drop_path_keep_prob must be in (0, 1], got {drop_path_keep_prob!r}")
        if aux_head and (num_reductions < 2 or num_cells < 1):
            raise ConfigError(
                "aux_head reads the cell before the second reduction cell, so it needs num_reductions >= 2 and "
                f"num_cells >= 1 (got {num_reductions} and {num_cells}); set aux_head false or change them"
            )
        require_integer("image_size", image_size, 1)
        if not 0 < batch_norm_momentum <= 1 or not batch_norm_eps > 0:
            raise ConfigError(
                "batch_norm_momentum must be in (0, 1] and batch_norm_eps > 0, "
                f"got {batch_norm_momentum!r} and {batch_norm_eps!r}"
            )
        self.genotype = genotype
        #: The arguments it was built with besides the genotype: what :class:`~pnas.nn.costs.CellCosts` needs to
        #: count the same network for other cells.
        self.arguments: dict[str, Any] = {
            "num_classes": num_classes,
            "in_channels": in_channels,
            "num_cells": num_cells,
            "filters": filters,
            "num_reductions": num_reductions,
            "stem_multiplier": stem_multiplier,
            "dropout": dropout,
            "stem": stem,
            "drop_path_keep_prob": drop_path_keep_prob,
            "aux_head": aux_head,
            "image_size": image_size,
            "batch_norm_momentum": batch_norm_momentum,
            "batch_norm_eps": batch_norm_eps,
        }
        layout: list[tuple[int, bool]] = []  # (filters per block, reduction) of every cell
        if stem == "imagenet":
            stem_channels = _IMAGENET_STEM_FILTERS * stem_multiplier
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, stem_channels, 3, stride=2, bias=False), nn.BatchNorm2d(stem_channels)
            )
            layout += [(filters // 2 ** (_IMAGENET_STEM_CELLS - i), True) for i in range(_IMAGENET_STEM_CELLS)]
        else:
            stem_channels = stem_multiplier * filters
            self.stem = nn.Sequential(
                nn.Conv2d(in_channels, stem_channels, 3, padding=1, bias=False), nn.BatchNorm2d(stem_channels)
            )
        self.num_stem_cells = len(layout)
        for stage in range(num_reductions + 1):
            layout += [(filters * 2**stage, stage > 0 and cell == 0) for cell in range(num_cells)]
        prev_prev_channels: int | None = None
        prev_channels, prev_reduction = stem_channels, False
        self.cells = nn.ModuleList()
        for channels, reduction in layout:
            cell = CellModule(genotype, prev_prev_channels, prev_channels, channels, reduction, prev_reduction)
            self.cells.append(cell)
            prev_prev_channels, prev_channels, prev_reduction = prev_channels, cell.out_channels, reduction
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(prev_channels, num_classes)
        self.drop_path_keep_prob = drop_path_keep_prob
        # The reference's aux_head_cell_idxes: the cell before the second reduction cell.
        self.aux_cell_index: int | None = self.num_stem_cells + 2 * num_cells - 1 if aux_head else None
        self.aux_head: AuxiliaryHead | None = None
        if self.aux_cell_index is not None:
            size = _spatial_size(image_size, stem, self.num_stem_cells + 1)
            channels = self.cells[self.aux_cell_index].out_channels
            self.aux_head = AuxiliaryHead(channels, size, num_classes, image_size)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.momentum, module.eps = batch_norm_momentum, batch_norm_eps
        self.set_training_progress(0.0)

    @property
    def num_parameters(self) -> int:
        """Trainable parameters of the network that classifies: the auxiliary head, a training aid, is not counted."""
        aux = {id(p) for p in self.aux_head.parameters()} if self.aux_head is not None else set()
        return sum(p.numel() for p in self.parameters() if p.requires_grad and id(p) not in aux)

    def set_training_progress(self, progress: float) -> None:
        """Set every cell's drop-path keep probability for ``progress`` (0 to 1) of the training run."""
        for index, cell in enumerate(self.cells):
            layer_ratio = (index + 1) / len(self.cells)
            cell.drop_path.keep_prob = scheduled_keep_prob(self.drop_path_keep_prob, layer_ratio, progress)

    @property
    def drop_path_keep_probs(self) -> list[float]:
        """The current drop-path keep probability of every cell, stem cells first."""
        return [cell.drop_path.keep_prob for cell in self.cells]

    def _features(self, x: torch.Tensor, aux: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        prev_prev = prev = self.stem(x)
        aux_logits = None
        for index, cell in enumerate(self.cells):
            prev_prev, prev = prev, cell(prev_prev, prev)
            if aux and index == self.aux_cell_index and self.aux_head is not None:
                aux_logits = self.aux_head(prev)
        return prev, aux_logits

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Feature maps of the last cell."""
        return self._features(x, aux=False)[0]

    def _logits(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.dropout(self.pool(torch.relu(features)).flatten(1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits for a batch of images ``(batch, in_channels, height, width)``."""
        return self._logits(self.forward_features(x))

    def forward_with_aux(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Class logits and, in training mode with an auxiliary head, the auxiliary head's logits (else ``None``)."""
        features, aux_logits = self._features(x, aux=self.training)
        return self._logits(features), aux_logits


def _spatial_size(image_size: int, stem: str, reductions: int) -> int:
    """Height of the feature maps after the stem and ``reductions`` stride-2 cells (``SAME`` padding rounds up)."""
    size = (image_size - 3) // 2 + 1 if stem == "imagenet" else image_size
    for _ in range(reductions):
        size = (size + 1) // 2
    return size


def build_network(genotype: str | Path | Cell, num_classes: int, **kwargs: Any) -> CellNetwork:
    """Build a plain ``nn.Module`` classifier from a genotype.

    Args:
        genotype: A :class:`~pnas.space.Cell`, a registered name such as ``"pnasnet5"``, a cell string, or a path
            to a genotype JSON file.
        num_classes: Number of output logits.
        **kwargs: Further :class:`CellNetwork` arguments (``in_channels``, ``num_cells``, ``filters``, ``stem``,
            ``drop_path_keep_prob``, ``aux_head``, ...).

    Raises:
        GenotypeError: ``genotype`` cannot be resolved to a valid cell.
        ConfigError: A size, ``stem``, ``dropout`` or a training aid is out of range.
    """
    return CellNetwork(resolve_genotype(genotype), num_classes, **kwargs)
