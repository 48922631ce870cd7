"""Where a benchmark ran: library versions and hardware, for the report (every result states its machine)."""

from __future__ import annotations

import platform
from importlib import metadata
from pathlib import Path
from typing import Any

from pnas.resources import usable_cores

__all__ = ["cpu_model", "environment", "usable_cores"]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def environment() -> dict[str, Any]:
    """Versions (python, torch, numpy, scipy, pnas) and hardware (CPU model, usable cores, torch threads).

    ``gpu_visible`` names a GPU torch could use; the benchmark itself computes on the CPU.
    """
    import numpy
    import scipy
    import torch

    import pnas

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__,
            "scipy": scipy.__version__,
            "pnas": _version("pnas") or pnas.__version__,
        },
        "hardware": {
            "cpu": cpu_model(),
            "cores_usable": usable_cores(),
            "torch_threads": torch.get_num_threads(),
            "gpu_visible": gpu,
            "platform": platform.platform(),
        },
    }
