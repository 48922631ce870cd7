"""Where and how many candidates train at once, as one group of settings."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["Execution"]


@dataclass(frozen=True)
class Execution:
    """How a search's candidates are trained: how many at once, and where.

    Attributes:
        workers: Candidates trained at once, each in its own worker process (1: in this process). Workers start
            once and are reused; each result is stored as it finishes. With several GPUs each worker gets one, with
            one GPU they share it.
        executor: ``local`` runs the workers on this machine; ``ray`` runs them as Ray actors on a Ray cluster
            (``pip install 'pnas[ray]'``).
        ray_address: The Ray cluster to use (``host:port``, ``ray://host:port`` or ``auto``); unset starts a local
            Ray instance. Only with ``executor: ray``.
        num_cpus: CPU cores per candidate: its torch threads wherever it trains (this process, a worker, a Ray
            actor) and a Ray actor's ``num_cpus``. Default: ``OMP_NUM_THREADS`` when set, else 1, whatever
            ``workers`` is, so the results do not depend on it; on a CPU, use the cores with ``workers``.
        num_gpus: GPUs per candidate on Ray, fractions allowed (0.25: four candidates share one GPU).
    """

    workers: int = 1
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    num_cpus: float | None = None
    num_gpus: float | None = None

    def arguments(self) -> dict[str, Any]:
        """The settings as keyword arguments of :class:`~pnas.search.evaluation.lightning.LightningEvaluator`."""
        return asdict(self)
