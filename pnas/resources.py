"""What this machine lends a process (the CPU cores it may run on) and the threads a candidate trains with."""

from __future__ import annotations

import os

__all__ = ["candidate_threads", "usable_cores"]


def usable_cores() -> int:
    """CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def candidate_threads(num_cpus: float | None = None) -> int:
    """The torch CPU threads every candidate trains with, wherever it trains (this process, a worker, an actor).

    ``num_cpus`` when set, else ``OMP_NUM_THREADS`` when set, else 1. It never depends on how many candidates
    train at once: the same count gives the same results, and one thread each lets N workers use N cores.
    """
    if num_cpus is not None:
        return max(1, int(num_cpus))
    pinned = os.environ.get("OMP_NUM_THREADS", "")
    return int(pinned) if pinned.isdigit() and int(pinned) > 0 else 1
