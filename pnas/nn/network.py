"""A classification network stacked from one cell genotype, and its builder (TF-slim PNASNet's topology)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from pnas.errors import ConfigError, require_integer
from pnas.nn.cell import CellModule
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

    Raises:
        ConfigError: A size is below its minimum, ``stem`` is unknown or ``dropout`` is outside [0, 1); the message
            names the argument.
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
        self.genotype = genotype
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

    @property
    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Feature maps of the last cell."""
        prev_prev = prev = self.stem(x)
        for cell in self.cells:
            prev_prev, prev = prev, cell(prev_prev, prev)
        return prev

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits for a batch of images ``(batch, in_channels, height, width)``."""
        features = torch.relu(self.forward_features(x))
        return self.classifier(self.dropout(self.pool(features).flatten(1)))


def build_network(genotype: str | Path | Cell, num_classes: int, **kwargs: Any) -> CellNetwork:
    """Build a plain ``nn.Module`` classifier from a genotype.

    Args:
        genotype: A :class:`~pnas.space.Cell`, a registered name such as ``"pnasnet5"``, a cell string, or a path
            to a genotype JSON file.
        num_classes: Number of output logits.
        **kwargs: Further :class:`CellNetwork` arguments (``in_channels``, ``num_cells``, ``filters``, ``stem``, ...).

    Raises:
        GenotypeError: ``genotype`` cannot be resolved to a valid cell.
        ConfigError: A size, ``stem`` or ``dropout`` is out of range.
    """
    return CellNetwork(resolve_genotype(genotype), num_classes, **kwargs)
