"""Networks built from PNAS cells: the operations, the cell module, the network, its builder and PNASNet-5."""

from __future__ import annotations

from pnas.nn.cell import CellModule
from pnas.nn.macs import count_macs
from pnas.nn.network import STEMS, CellNetwork, build_network
from pnas.nn.ops import OPERATIONS, build_op
from pnas.nn.pnasnet import pnasnet5_cifar, pnasnet5_large, pnasnet5_mobile

__all__ = [
    "OPERATIONS",
    "STEMS",
    "CellModule",
    "CellNetwork",
    "build_network",
    "build_op",
    "count_macs",
    "pnasnet5_cifar",
    "pnasnet5_large",
    "pnasnet5_mobile",
]
