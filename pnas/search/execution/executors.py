"""Where candidates train: in this process, in worker processes on this machine, or on a Ray cluster.

Every executor runs :meth:`~pnas.search.evaluation.training.CandidateTraining.train` for the cells it is given and
yields each result as it finishes. The parallel ones keep a fixed number of *slots* (a worker process, a Ray actor),
started once and reused for every step; a slot that dies fails only its own candidate and is replaced.
"""

from __future__ import annotations

from typing import Any, Literal

from pnas.errors import ConfigError, require_integer
from pnas.search.execution.base import CandidateExecutor, InProcessExecutor

__all__ = ["EXECUTORS", "check_executor_settings", "create_executor"]

#: The executors ``executor`` may name.
EXECUTORS = ("local", "ray")


def check_executor_settings(
    workers: int,
    executor: str,
    ray_address: str | None,
    num_cpus: float | None,
    num_gpus: float | None,
    trainer_kwargs: dict[str, Any] | None = None,
) -> None:
    """Refuse settings no executor can run, with a message naming the setting; :func:`create_executor` needs them.

    Raises:
        ConfigError: ``workers`` < 1, an unknown ``executor``, ``ray_address`` without Ray, a share out of range,
            more than one device per candidate of a worker or an actor, Ray missing, or ``ray_address``
            unreachable.
    """
    require_integer("workers (candidates trained at once)", workers)
    if executor not in EXECUTORS:
        raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if ray_address is not None and executor != "ray":
        raise ConfigError(f"ray_address is set ({ray_address!r}) but executor is {executor!r}; set executor: ray")
    if num_cpus is not None and not num_cpus > 0:
        raise ConfigError(f"num_cpus (CPU cores per candidate) must be > 0, got {num_cpus!r}")
    if num_gpus is not None and not num_gpus >= 0:
        raise ConfigError(f"num_gpus (GPUs per candidate, fractions allowed) must be >= 0, got {num_gpus!r}")
    if num_gpus and executor != "ray":
        raise ConfigError(
            "num_gpus applies to executor: ray; local workers share the visible GPUs (one each when there are "
            "several, all on one when there is one)"
        )
    devices = (trainer_kwargs or {}).get("devices", "auto")
    if (executor == "ray" or workers > 1) and devices not in ("auto", 1, "1", None) and devices != [0]:
        raise ConfigError(
            f"with workers or Ray each candidate trains on one device, but trainer devices is {devices!r}; leave "
            "devices unset (or 1): workers are spread over the visible GPUs, Ray actors get num_gpus each"
        )
    if executor == "ray":
        from pnas.search.execution.ray_executor import check_ray

        check_ray(ray_address)


def create_executor(
    training: Any,
    workers: int = 1,
    executor: Literal["local", "ray"] = "local",
    ray_address: str | None = None,
    num_cpus: float | None = None,
    num_gpus: float | None = None,
) -> CandidateExecutor:
    """The executor for these settings: in-process for one local worker, else worker processes or Ray actors.

    The settings are taken as :func:`check_executor_settings` passed them.

    Args:
        training: The job that trains one candidate (:class:`~pnas.search.evaluation.training.CandidateTraining`).
        workers: Candidates trained at once.
        executor: ``local`` (this machine) or ``ray`` (a Ray cluster).
        ray_address: Address of an existing Ray cluster; unset starts a local one.
        num_cpus: CPU cores per candidate (its torch threads, wherever it trains; a Ray actor's ``num_cpus``).
            Unset: ``OMP_NUM_THREADS`` when set, else 1 (:func:`~pnas.resources.candidate_threads`).
        num_gpus: GPUs per candidate on Ray, fractions allowed (0.25: four candidates share a GPU).

    Raises:
        ConfigError: The job cannot be sent to the workers, or Ray cannot start.
    """
    if executor == "ray":
        from pnas.search.execution.ray_executor import RayExecutor

        return RayExecutor(training, workers, ray_address, num_cpus, num_gpus)
    if workers == 1:
        return InProcessExecutor(training)
    from pnas.search.execution.worker_pool import WorkerPool

    return WorkerPool(training, workers, num_cpus)
