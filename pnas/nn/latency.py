"""Latency of a network at batch size 1 on a chosen device: the median of timed forward passes after a warm-up.

Latency cannot be computed from a table as parameters and multiply-adds can; each cell's network is built and
timed once (:class:`CellLatency`), and the measurements are kept in a JSON file so that a resumed search sees the
same numbers and proposes the same cells (a search saves them before it trains the cells of each step).
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from pnas.errors import ConfigError
from pnas.files import write_text_atomically

__all__ = ["CellLatency", "check_latency_device", "measure_latency_ms"]


def check_latency_device(device: str) -> torch.device:
    """The device latency is to be measured on, refused in one line unless this machine has it.

    Raises:
        ConfigError: The name is not a device, or this machine has no such device.
    """
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise ConfigError(f"latency_device {device!r} is not a device; use cpu, cuda or cuda:N") from None
    if parsed.type == "cuda" and (not torch.cuda.is_available() or (parsed.index or 0) >= torch.cuda.device_count()):
        raise ConfigError(f"latency_device {device} is not on this machine; measure on cpu or where the GPU is")
    if parsed.type not in ("cpu", "cuda"):
        raise ConfigError(f"latency_device {device!r}: latency is measured on cpu or cuda devices")
    return parsed


def measure_latency_ms(
    network: nn.Module,
    input_size: Sequence[int],
    device: str | torch.device = "cpu",
    repeats: int = 20,
    warmup: int = 5,
) -> float:
    """Median milliseconds of one forward pass of one ``input_size`` image, in eval mode without gradients.

    Args:
        network: The network (moved to ``device``, left in eval mode).
        input_size: ``(channels, height, width)``.
        device: Where to run it (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ...).
        repeats: Timed passes; their median is returned.
        warmup: Untimed passes first (allocations, kernel selection, caches).
    """
    device = torch.device(device)
    network = network.to(device).eval()
    image = torch.zeros(1, *input_size, device=device)
    synchronize = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    times = []
    with torch.inference_mode():
        for index in range(warmup + repeats):
            synchronize()
            start = time.perf_counter()
            network(image)
            synchronize()
            if index >= warmup:
                times.append(1000 * (time.perf_counter() - start))
    return float(statistics.median(times))


class CellLatency:
    """Each cell's network latency at batch size 1, measured once per cell and remembered in ``path``.

    Args:
        build: Cell -> its network (e.g. :meth:`pnas.nn.costs.CellCosts.network_of`).
        input_size: ``(channels, height, width)`` of one image.
        device: Where to time the networks.
        repeats: Timed passes per cell (the median is kept).
        warmup: Untimed passes first.
        path: A JSON file of earlier measurements to read, and to write on :meth:`save`; ``None``: none.
    """

    def __init__(
        self,
        build: Callable[[Any], nn.Module],
        input_size: Sequence[int],
        device: str = "cpu",
        repeats: int = 20,
        warmup: int = 5,
        path: str | Path | None = None,
    ) -> None:
        self.build, self.input_size, self.device = build, tuple(input_size), device
        self.repeats, self.warmup = repeats, warmup
        self.path = None if path is None else Path(path)
        self.measured: dict[str, float] = {}
        if self.path is not None and self.path.is_file():
            self.measured = {str(cell): float(ms) for cell, ms in json.loads(self.path.read_text()).items()}

    def of_cell(self, cell: Any) -> float:
        """The cell's latency in milliseconds (measured now unless measured before)."""
        key = str(cell)
        if key not in self.measured:
            network = self.build(cell)
            self.measured[key] = measure_latency_ms(network, self.input_size, self.device, self.repeats, self.warmup)
        return self.measured[key]

    def save(self) -> None:
        """Write every measurement to ``path`` (atomically; nothing without a path)."""
        if self.path is not None:
            write_text_atomically(self.path, json.dumps(self.measured, indent=1) + "\n")
