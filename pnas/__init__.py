"""Progressive Neural Architecture Search on PyTorch Lightning.

``import pnas`` is cheap: the torch-free search space loads eagerly, everything that needs torch loads on first
use of its name (``pnas.PNASModule``, ``pnas.SearchTrainer``, ``pnas.build_network``, ...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pnas._lazy import lazy_getattr
from pnas.errors import (
    ConfigError,
    DataNotFoundError,
    GenotypeError,
    PNASError,
    SearchFailedError,
    SearchInterrupted,
    StoreError,
)
from pnas.space import GENOTYPES, OPS, Block, Cell, expand, one_block_cells, resolve_genotype

if TYPE_CHECKING:
    from pnas.data import CIFAR10DataModule, DigitsDataModule
    from pnas.module import PNASModule
    from pnas.nn import CellNetwork, build_network, count_macs, pnasnet5_cifar, pnasnet5_large, pnasnet5_mobile
    from pnas.search import SearchTrainer, run_search

__version__ = "0.1.0"

_LAZY = {
    "CIFAR10DataModule": "pnas.data",
    "CellNetwork": "pnas.nn",
    "DigitsDataModule": "pnas.data",
    "PNASModule": "pnas.module",
    "SearchTrainer": "pnas.search.trainer",
    "build_network": "pnas.nn",
    "count_macs": "pnas.nn",
    "pnasnet5_cifar": "pnas.nn",
    "pnasnet5_large": "pnas.nn",
    "pnasnet5_mobile": "pnas.nn",
    "run_search": "pnas.search.run.loop",
}

__all__ = [
    "GENOTYPES",
    "OPS",
    "Block",
    "CIFAR10DataModule",
    "Cell",
    "CellNetwork",
    "ConfigError",
    "DataNotFoundError",
    "DigitsDataModule",
    "GenotypeError",
    "PNASError",
    "PNASModule",
    "SearchFailedError",
    "SearchInterrupted",
    "SearchTrainer",
    "StoreError",
    "build_network",
    "count_macs",
    "expand",
    "one_block_cells",
    "pnasnet5_cifar",
    "pnasnet5_large",
    "pnasnet5_mobile",
    "resolve_genotype",
    "run_search",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
