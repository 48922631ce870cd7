"""PNASNet-5 at the paper's three published settings, built as TF-slim's reference implementation builds them.

The settings follow ``research/slim/nets/nasnet`` in the tensorflow/models repository: ``pnasnet.py`` for the
ImageNet models (``mobile_imagenet_config``, ``large_imagenet_config``) and ``nasnet.py`` for the CIFAR stem and
configuration conventions (``cifar_config``, ``_cifar_stem``). The reference's ``num_cells`` counts all cells after
the stem, reduction cells included; it is ``3 * N`` for this package's ``num_cells`` N.

Every factory passes further keyword arguments (``**training_aids``) to :class:`~pnas.nn.CellNetwork`:
``drop_path_keep_prob`` and ``aux_head`` (inactive in evaluation mode; neither changes the parameter count nor the
multiply-adds), ``image_size`` (for the auxiliary head; the factory's image size by default),
``batch_norm_momentum`` and ``batch_norm_eps``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pnas.nn.network import CellNetwork, build_network
from pnas.space import Cell

__all__ = ["pnasnet5_cifar", "pnasnet5_large", "pnasnet5_mobile"]


def pnasnet5_cifar(
    num_classes: int = 10, genotype: str | Path | Cell = "pnasnet5", dropout: float = 0.0, **training_aids: Any
) -> CellNetwork:
    """PNASNet-5 for 32x32 CIFAR images: N=3, F=48 (the paper's Table 1: 3.2M parameters).

    CIFAR stem of ``nasnet._cifar_stem`` with NASNet's ``cifar_config`` stem multiplier 3 (a 3x3 convolution with
    144 filters), then 9 cells (3 per stage, reduction cells counted) with 48, 96 and 192 filters per block.
    ``cifar_config`` keeps every unit before the head (``dense_dropout_keep_prob=1.0``), hence ``dropout=0``; it
    trains with the auxiliary head and ``drop_path_keep_prob=0.6``.

    Args:
        num_classes: Number of output logits.
        genotype: The cell: a :class:`~pnas.space.Cell`, a registered name, a cell string or a genotype JSON path.
        dropout: Dropout probability before the linear head.
        **training_aids: Further :class:`~pnas.nn.CellNetwork` arguments (see the module's docstring).
    """
    return build_network(
        genotype, num_classes, num_cells=3, filters=48, stem_multiplier=3, dropout=dropout, **training_aids
    )


def pnasnet5_mobile(
    num_classes: int = 1000, genotype: str | Path | Cell = "pnasnet5", dropout: float = 0.5, **training_aids: Any
) -> CellNetwork:
    """PNASNet-5 Mobile for 224x224 ImageNet images (the paper's Table 4: 5.1M parameters, 588M multiply-adds).

    ``pnasnet.mobile_imagenet_config``: ``num_cells=9`` (N=3), ``num_conv_filters=54``, ``stem_multiplier=1.0``,
    ``dense_dropout_keep_prob=0.5``, with the ImageNet stem of ``nasnet._imagenet_stem`` (a 3x3 stride-2
    convolution with 32 filters, then two reduction cells with 13 and 27 filters per block). The reference trains
    it with the auxiliary head and without drop-path (``drop_path_keep_prob=1.0``).

    Args:
        num_classes: Number of output logits.
        genotype: The cell: a :class:`~pnas.space.Cell`, a registered name, a cell string or a genotype JSON path.
        dropout: Dropout probability before the linear head.
        **training_aids: Further :class:`~pnas.nn.CellNetwork` arguments (see the module's docstring).
    """
    return _imagenet_network(genotype, num_classes, dropout, training_aids, 3, 54, 1, 224)


def pnasnet5_large(
    num_classes: int = 1000, genotype: str | Path | Cell = "pnasnet5", dropout: float = 0.5, **training_aids: Any
) -> CellNetwork:
    """PNASNet-5 Large for 331x331 ImageNet images (the paper's Table 5: 86.1M parameters, 25.0B multiply-adds).

    ``pnasnet.large_imagenet_config``: ``num_cells=12`` (N=4), ``num_conv_filters=216``, ``stem_multiplier=3.0``,
    ``dense_dropout_keep_prob=0.5``, with the ImageNet stem of ``nasnet._imagenet_stem`` (a 3x3 stride-2
    convolution with 96 filters, then two reduction cells with 54 and 108 filters per block). The reference trains
    it with the auxiliary head and ``drop_path_keep_prob=0.6``.

    Args:
        num_classes: Number of output logits.
        genotype: The cell: a :class:`~pnas.space.Cell`, a registered name, a cell string or a genotype JSON path.
        dropout: Dropout probability before the linear head.
        **training_aids: Further :class:`~pnas.nn.CellNetwork` arguments (see the module's docstring).
    """
    return _imagenet_network(genotype, num_classes, dropout, training_aids, 4, 216, 3, 331)


def _imagenet_network(
    genotype: str | Path | Cell,
    num_classes: int,
    dropout: float,
    training_aids: dict[str, Any],
    num_cells: int,
    filters: int,
    stem_multiplier: int,
    image_size: int,
) -> CellNetwork:
    """A network with the ImageNet stem at one of the reference's ImageNet settings."""
    settings = {"num_cells": num_cells, "filters": filters, "stem_multiplier": stem_multiplier, "stem": "imagenet"}
    return build_network(
        genotype, num_classes, dropout=dropout, **settings, **{"image_size": image_size, **training_aids}
    )
