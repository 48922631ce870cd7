"""Where candidates train: in this process, in worker processes on this machine, or on a Ray cluster.

Every executor runs :meth:`~pnas.search.training.CandidateTraining.train` for the cells it is given and yields each
result as it finishes. The parallel ones keep a fixed number of *slots* (a worker process, a Ray actor), started
once and reused for every step; a slot that dies fails only its own candidate and is replaced.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from pnas.errors import ConfigError
from pnas.search.evaluation import Evaluation

__all__ = [
    "EXECUTORS",
    "CandidateExecutor",
    "InProcessExecutor",
    "SlotExecutor",
    "check_executor_settings",
    "check_one_device",
    "create_executor",
]

#: The executors ``executor`` may name.
EXECUTORS = ("local", "ray")


class CandidateExecutor:
    """Trains candidates with a :class:`~pnas.search.training.CandidateTraining` job; subclasses say where."""

    def run(self, cells: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Train ``cells``; yield ``(index into cells, TrainedCandidate)`` for each as soon as it has finished.

        Raises:
            ConfigError: A candidate met a setting no candidate can succeed with; the others are abandoned.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Stop whatever this executor started (worker processes, actors)."""


class InProcessExecutor(CandidateExecutor):
    """One candidate after the other, in this process.

    Args:
        training: The job that trains one candidate.
    """

    def __init__(self, training: Any) -> None:
        self.training = training

    def run(self, cells: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Train each cell in turn."""
        for index, cell in enumerate(cells):
            yield index, self.training.train(cell)


class SlotExecutor(CandidateExecutor):
    """Keeps ``size`` slots busy and yields results in the order they finish.

    Each slot holds up to ``depth`` cells: the one it trains and the next ones, queued on the slot so it starts
    them without waiting for this process (a deeper queue saves a round trip per candidate, but can leave a slot
    idle at the end of a step while another still holds a cell: the executors here hold one). Subclasses start,
    feed, watch and stop the slots; a slot trains its cells in the order it got them and reports
    ``("ok", TrainedCandidate)``, ``("config_error", message)`` or ``("died", message)`` for the first. A dead slot
    fails the cell it was training, gives its queued cells back to the others, and is started anew for the next.

    Args:
        size: Number of slots.
        depth: Cells a slot holds at once (1: no queue).
    """

    def __init__(self, size: int, depth: int = 1) -> None:
        self.size, self.depth = size, depth
        self.busy: set[int] = set()  # slots holding cells, even after an abandoned run (stop those at once)

    def run(self, cells: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        """Train ``cells`` on the slots, as many at once as there are slots."""
        from pnas.search.training import TrainedCandidate

        pending = deque(enumerate(cells))
        held: dict[int, deque[int]] = {slot: deque() for slot in range(self.size)}  # slot -> indices, in order
        try:
            while pending or any(held.values()):
                for depth in range(self.depth):  # one cell for every slot first, then a second for each, ...
                    for slot in range(self.size):
                        if pending and len(held[slot]) <= depth:
                            index, cell = pending.popleft()
                            self._submit(slot, cell)
                            held[slot].append(index)
                            self.busy.add(slot)
                for slot, (kind, payload) in self._finished([slot for slot in held if held[slot]]):
                    index = held[slot].popleft()
                    if not held[slot]:
                        self.busy.discard(slot)
                    if kind == "config_error":
                        raise ConfigError(payload)
                    if kind == "died":
                        self._discard(slot)
                        self.busy.discard(slot)
                        pending.extendleft((queued, cells[queued]) for queued in reversed(held[slot]))
                        held[slot].clear()
                        yield index, TrainedCandidate(Evaluation(None, "failed", error=payload))
                    else:
                        yield index, payload
        finally:
            for slot, indices in held.items():  # abandoned (an error, an interruption): too late for them
                if indices:
                    self._discard(slot)
                    self.busy.discard(slot)

    def _submit(self, slot: int, cell: Any) -> None:
        """Queue ``cell`` on ``slot`` (starting the slot first if needed)."""
        raise NotImplementedError

    def _finished(self, slots: list[int]) -> list[tuple[int, tuple[str, Any]]]:
        """Block until at least one of the busy ``slots`` has finished a cell or died; their outcomes."""
        raise NotImplementedError

    def _discard(self, slot: int) -> None:
        """Stop ``slot`` at once, dropping what it holds; the next cell for it starts a new one."""
        raise NotImplementedError


def check_executor_settings(
    workers: int, executor: str, ray_address: str | None, num_cpus: float | None, num_gpus: float | None
) -> None:
    """Refuse settings no executor can run, with a message naming the setting.

    Raises:
        ConfigError: ``workers`` < 1, an unknown ``executor``, ``ray_address`` without Ray, or a negative share.
    """
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers (candidates trained at once) must be an integer >= 1, got {workers!r}")
    if executor not in EXECUTORS:
        raise ConfigError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if ray_address is not None and executor != "ray":
        raise ConfigError(f"ray_address is set ({ray_address!r}) but executor is {executor!r}; set executor: ray")
    if num_cpus is not None and not num_cpus > 0:
        raise ConfigError(f"num_cpus (CPU cores per candidate) must be > 0, got {num_cpus!r}")
    if num_gpus is not None and not num_gpus >= 0:
        raise ConfigError(f"num_gpus (GPUs per candidate, fractions allowed) must be >= 0, got {num_gpus!r}")
    if num_cpus is not None and workers == 1 and executor == "local":
        raise ConfigError(
            "num_cpus applies to worker processes (workers >= 2) and Ray actors; with workers: 1 candidates train "
            "in this process, with its threads (set OMP_NUM_THREADS)"
        )
    if num_gpus and executor != "ray":
        raise ConfigError(
            "num_gpus applies to executor: ray; local workers share the visible GPUs (one each when there are "
            "several, all on one when there is one)"
        )


def check_one_device(trainer_kwargs: dict[str, Any]) -> None:
    """Refuse trainer settings that give a candidate of a worker or an actor more than one device.

    Raises:
        ConfigError: ``devices`` in ``trainer_kwargs`` asks for more than one device.
    """
    devices = trainer_kwargs.get("devices", "auto")
    if devices not in ("auto", 1, "1", None) and devices != [0]:
        raise ConfigError(
            f"with workers or Ray each candidate trains on one device, but trainer devices is {devices!r}; leave "
            "devices unset (or 1): workers are spread over the visible GPUs, Ray actors get num_gpus each"
        )


def create_executor(
    training: Any,
    workers: int = 1,
    executor: Literal["local", "ray"] = "local",
    ray_address: str | None = None,
    num_cpus: float | None = None,
    num_gpus: float | None = None,
) -> CandidateExecutor:
    """The executor for these settings: in-process for one local worker, else worker processes or Ray actors.

    Args:
        training: The job that trains one candidate (:class:`~pnas.search.training.CandidateTraining`).
        workers: Candidates trained at once.
        executor: ``local`` (this machine) or ``ray`` (a Ray cluster).
        ray_address: Address of an existing Ray cluster; unset starts a local one.
        num_cpus: CPU cores per candidate (threads of a local worker; a Ray actor's ``num_cpus``). Unset: the
            usable cores divided among the local workers, 1 on Ray.
        num_gpus: GPUs per candidate on Ray, fractions allowed (0.25: four candidates share a GPU).

    Raises:
        ConfigError: A setting is out of range, Ray is missing, or its cluster cannot be reached.
    """
    check_executor_settings(workers, executor, ray_address, num_cpus, num_gpus)
    if executor == "ray" or workers > 1:
        check_one_device(training.trainer_kwargs)
    if executor == "ray":
        from pnas.search.ray_executor import RayExecutor

        return RayExecutor(training, workers, ray_address, num_cpus, num_gpus)
    if workers == 1:
        return InProcessExecutor(training)
    from pnas.search.worker_pool import WorkerPool

    return WorkerPool(training, workers, num_cpus)
