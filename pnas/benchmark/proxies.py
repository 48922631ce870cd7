"""Zero-cost proxies of NAS-Bench-201 cells: each cell's network scored at initialisation on one probe batch.

The probe batch is offline and fixed: the first ``count`` of scikit-learn's digits, bilinearly resized to
``size x size``, repeated to 3 channels and standardised. Each cell's network is initialised under one seed, so a
cell's scores do not depend on which cells were scored before it. The table the benchmark script writes
(``benchmarks/data/nasbench201_proxies.csv``: ``index, arch``, one column per proxy, ``seconds``) is read back with
:class:`~pnas.benchmark.table.BenchmarkTable`.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from pnas.benchmark.table import BenchmarkTable
from pnas.errors import DataNotFoundError
from pnas.nn.nasbench201 import NB201Network
from pnas.nn.zero_cost import PROXIES, zero_cost_proxies

__all__ = ["ProbeSettings", "ProxyTableFeatures", "nasbench201_cell_proxies", "probe_batch"]


@dataclass(frozen=True)
class ProbeSettings:
    """How each cell is scored: the probe batch, the network's size and the initialisation seed.

    The defaults, a full-depth network (5 cells per stage) at 16x16 pixels and 16 images, rank cells about as well
    as 32x32 pixels and 32 images at a fifth of the time (``docs/evaluation.md``).
    """

    size: int = 16
    count: int = 16
    channels: int = 16
    cells_per_stage: int = 5
    seed: int = 0


def probe_batch(size: int = 16, count: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``count`` digits as standardised ``(count, 3, size, size)`` images, and their labels."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images[:count], dtype=torch.float32).unsqueeze(1)
    images = F.interpolate(images, size=size, mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)
    images = (images - images.mean()) / images.std()
    return images, torch.tensor(digits.target[:count], dtype=torch.long)


def nasbench201_cell_proxies(
    edges: Sequence[str], batch: tuple[torch.Tensor, torch.Tensor], settings: ProbeSettings = ProbeSettings()
) -> dict[str, float]:
    """Every zero-cost proxy of one NB201 cell's network, plus ``seconds``, the time to build and score it.

    Args:
        edges: The cell's 6 operations (``NB201Cell.edges``).
        batch: The probe images and labels (:func:`probe_batch`).
        settings: The network's size and initialisation seed.
    """
    start = time.perf_counter()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(settings.seed)
        network = NB201Network(edges, settings.channels, settings.cells_per_stage)
    scores = zero_cost_proxies(network, *batch)
    return {**scores, "seconds": time.perf_counter() - start}


@functools.lru_cache(maxsize=4)
def _proxy_table(path: str) -> BenchmarkTable:
    return BenchmarkTable(path)


class ProxyTableFeatures:
    """A search's side features read from a proxy table, charging each cell's compute time the first time it is asked.

    An instance is the ``side_features`` of a :class:`~pnas.search.strategies.progressive.ProgressiveSearch` on
    NAS-Bench-201: called with cells, it returns their proxies as an ``(n, len(PROXIES))`` array. ``seconds`` adds up
    the table's ``seconds`` of every distinct cell asked for so far, the time computing the proxies would have taken;
    the benchmark adds it to the run's wall clock.

    Args:
        path: The proxy table (``benchmarks/data/nasbench201_proxies.csv``); read once per process.

    Raises:
        DataNotFoundError: There is no such file.
        ConfigError: It is not a proxy table.
    """

    name = "zero-cost proxies"

    def __init__(self, path: str | Path) -> None:
        if not Path(path).is_file():
            raise DataNotFoundError(
                f"no zero-cost proxy table at {path}; make one with python benchmarks/nasbench201_proxies.py "
                "or pass its path with --proxies"
            )
        self.table = _proxy_table(str(path))
        self.columns = [self.table.column(name) for name in (*PROXIES, "seconds")]  # refuses a table without them
        self.seconds = 0.0
        self._charged: set[str] = set()

    def __call__(self, cells: Sequence[Any]) -> np.ndarray:
        """The proxies of ``cells`` (looked up by ``str(cell)``), one row per cell.

        Raises:
            KeyError: A cell is not in the table.
        """
        rows = np.empty(len(cells), dtype=np.int64)
        for i, cell in enumerate(cells):
            arch = str(cell)
            rows[i] = self.table.row(arch)
            if arch not in self._charged:
                self._charged.add(arch)
                self.seconds += float(self.columns[-1][rows[i]])
        return np.stack([column[rows] for column in self.columns[:-1]], axis=1)
