"""A classification network stacked from one cell genotype, and its builder."""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from pnas.errors import ConfigError, require_integer
from pnas.nn.cell import CellModule
from pnas.space import Cell, resolve_genotype

__all__ = ["CellNetwork", "build_network"]


class CellNetwork(nn.Module):
    """Stem, ``num_reductions + 1`` stages of ``num_cells`` normal cells separated by reduction cells, pooling, head.

    Filters start at ``filters`` per block and double at every reduction cell, as in PNAS/NASNet.

    Args:
        genotype: The cell used for every normal and reduction cell.
        num_classes: Number of output logits.
        in_channels: Channels of the input images.
        num_cells: N, normal cells per stage.
        filters: F, filters per block in the first stage.
        num_reductions: Reduction cells (stride 2) between stages.
        stem_multiplier: The stem convolution has ``stem_multiplier * filters`` output channels.
        dropout: Dropout probability before the linear head.

    Raises:
        ConfigError: A size is below its minimum or ``dropout`` is outside [0, 1); the message names the argument.
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
    ) -> None:
        super().__init__()
        for name, value, minimum in (
            ("num_classes", num_classes, 1),
            ("in_channels", in_channels, 1),
            ("num_cells", num_cells, 0),
            ("filters", filters, 1),
            ("num_reductions", num_reductions, 0),
            ("stem_multiplier", stem_multiplier, 1),
        ):
            require_integer(name, value, minimum)
        if not 0 <= dropout < 1:
            raise ConfigError(f"dropout must be in [0, 1), got {dropout!r}")
        self.genotype = genotype
        stem_channels = stem_multiplier * filters
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, stem_channels, 3, padding=1, bias=False), nn.BatchNorm2d(stem_channels)
        )
        prev_prev_channels, prev_channels, channels = stem_channels, stem_channels, filters
        prev_reduction = False
        self.cells = nn.ModuleList()
        for stage in range(num_reductions + 1):
            reductions = [True] if stage > 0 else []
            for reduction in reductions + [False] * num_cells:
                channels = channels * 2 if reduction else channels
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


def build_network(genotype: str | Path | Cell, num_classes: int, **kwargs: int | float) -> CellNetwork:
    """Build a plain ``nn.Module`` classifier from a genotype.

    Args:
        genotype: A :class:`~pnas.space.Cell`, a registered name such as ``"pnasnet5"``, a cell string, or a path
            to a genotype JSON file.
        num_classes: Number of output logits.
        **kwargs: Further :class:`CellNetwork` arguments (``in_channels``, ``num_cells``, ``filters``, ...).

    Raises:
        GenotypeError: ``genotype`` cannot be resolved to a valid cell.
        ConfigError: A size or ``dropout`` is out of range.
    """
    return CellNetwork(resolve_genotype(genotype), num_classes, **kwargs)
