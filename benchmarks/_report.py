"""Shared helpers for benchmark scripts: the machine they ran on, and a plain-text table."""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pnas.benchmark.environment import cpu_model, usable_cores
from pnas.errors import PNASError

#: ``make search``'s numeric paths (the Makefile's ``PORTABLE_CPU``), for benchmarks that run its search.
PORTABLE_CPU = {
    "OMP_NUM_THREADS": "1",
    "MKL_CBWR": "COMPATIBLE",
    "ATEN_CPU_CAPABILITY": "default",
    "ONEDNN_MAX_CPU_ISA": "SSE41",
}


def machine() -> str:
    """One line naming the hardware and software a benchmark ran on."""
    return f"{cpu_model()}, {usable_cores()} cores usable, Python {platform.python_version()}, {platform.system()}"


def timed_runs(function: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    """Call ``function`` ``runs`` times; return the wall-clock seconds of each call and the last result."""
    seconds, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        seconds.append(time.perf_counter() - start)
    return seconds, result


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def seconds_table(label: str, seconds: Mapping[Any, Sequence[float]]) -> str:
    """A Markdown table of each setting's median and minimum seconds over its runs."""
    rows = [[setting, f"{median(runs):.1f}", f"{min(runs):.1f}"] for setting, runs in seconds.items()]
    return table([label, "median s", "min s"], rows)


def run_script(main: Callable[[], Any]) -> None:
    """Run a benchmark script's ``main``; a :class:`~pnas.errors.PNASError` exits with its one-line message."""
    try:
        main()
    except PNASError as error:
        raise SystemExit(f"error: {error}") from None
