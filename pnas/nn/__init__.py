"""Networks built from PNAS cells: the operations, the cell module, the network and its builder."""

from __future__ import annotations

from pnas.nn.cell import CellModule
from pnas.nn.network import CellNetwork, build_network
from pnas.nn.ops import OPERATIONS, build_op

__all__ = ["OPERATIONS", "CellModule", "CellNetwork", "build_network", "build_op"]
