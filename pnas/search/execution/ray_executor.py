"""Candidates as Ray actors, on a local Ray instance or an existing cluster (``pip install pnas[ray]``).

Each of ``workers`` actors holds the search's job (the template, the data, the trainer settings), sent once, and
trains one candidate at a time with ``num_cpus`` cores and ``num_gpus`` GPUs (fractions share a GPU). Ray places
the actors on the cluster's machines; every machine needs pnas and the model's code installed, as any Ray job does.
"""

from __future__ import annotations

import socket
from typing import Any

from pnas.errors import ConfigError
from pnas.search.execution.base import SlotExecutor

__all__ = ["RayExecutor", "check_ray", "import_ray"]

#: Seconds to wait for a TCP connection to a given ``ray_address`` before calling it unreachable.
_CONNECT_TIMEOUT = 5.0


def import_ray() -> Any:
    """The ``ray`` module, or a :class:`~pnas.errors.ConfigError` saying how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError("executor: ray needs Ray: pip install 'pnas[ray]' (or pip install ray)") from None
    return ray


def check_ray(address: str | None) -> None:
    """Fail now, not after the search has started, when Ray is missing or ``address`` is unreachable.

    Raises:
        ConfigError: Ray is not installed, or nothing answers at ``address``.
    """
    ray = import_ray()
    if address is not None and not ray.is_initialized():
        _check_reachable(address)


def _check_reachable(address: str) -> None:
    """Refuse a ``host:port`` address nothing listens on, before Ray would retry it for minutes."""
    if address == "auto":
        return
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"ray_address must be 'auto', 'host:port' or 'ray://host:port', got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT).close()
    except OSError as error:
        raise ConfigError(
            f"cannot reach the Ray cluster at {address} ({error.strerror or error}); start it with "
            "'ray start --head' on its head node, or leave ray_address unset to run on a local Ray instance"
        ) from None


class _CandidateActor:
    """The Ray actor: one copy of the job, one candidate at a time."""

    def __init__(self, payload: bytes, threads: int) -> None:
        import torch
        from ray import cloudpickle

        torch.set_num_threads(threads)
        self.training = cloudpickle.loads(payload)

    def train(self, cell: Any) -> tuple[str, Any]:
        """Train ``cell``: ``("ok", TrainedCandidate)`` or ``("config_error", message)``."""
        try:
            return "ok", self.training.train(cell)
        except ConfigError as error:
            return "config_error", str(error)


class RayExecutor(SlotExecutor):
    """``size`` Ray actors training candidates side by side.

    Args:
        training: The job every actor runs.
        size: Actors, i.e. candidates trained at once.
        address: An existing cluster (``host:port``, ``ray://host:port`` or ``auto``); unset: a Ray instance
            already started in this process, else a new local one.
        num_cpus: CPU cores per candidate (default 1); the actor's torch threads.
        num_gpus: GPUs per candidate (default 0), fractions allowed.

    Raises:
        ConfigError: Ray is not installed, or the cluster cannot be reached.
    """

    def __init__(
        self,
        training: Any,
        size: int,
        address: str | None = None,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
    ) -> None:
        super().__init__(size)
        self.ray = import_ray()
        self.started_ray = False
        if not self.ray.is_initialized():  # an unreachable address was refused by check_ray already
            try:
                self.ray.init(address=address, include_dashboard=False, log_to_driver=False, configure_logging=False)
            except (ConnectionError, RuntimeError, ValueError) as error:
                where = f"the Ray cluster at {address}" if address else "a local Ray instance"
                raise ConfigError(f"cannot start {where} ({str(error).splitlines()[0]})") from None
            self.started_ray = True
        from ray import cloudpickle

        cpus = 1.0 if num_cpus is None else float(num_cpus)
        self.actor_class = self.ray.remote(num_cpus=cpus, num_gpus=float(num_gpus or 0))(_CandidateActor)
        self.payload = self.ray.put(cloudpickle.dumps(training))
        self.threads = max(1, int(cpus))
        self.actors: dict[int, Any] = {}
        self.running: dict[int, Any] = {}  # slot -> object ref of its cell

    def _submit(self, slot: int, cell: Any) -> None:
        if slot not in self.actors:
            self.actors[slot] = self.actor_class.remote(self.payload, self.threads)
        self.running[slot] = self.actors[slot].train.remote(cell)

    def _finished(self, slots: list[int]) -> list[tuple[int, tuple[str, Any]]]:
        by_ref = {self.running[slot]: slot for slot in slots}
        ready, _ = self.ray.wait(list(by_ref), num_returns=1)
        outcomes = []
        for ref in ready:
            slot = by_ref[ref]
            del self.running[slot]
            try:
                outcomes.append((slot, self.ray.get(ref)))
            except self.ray.exceptions.RayError as error:  # the actor died (killed, out of memory, node lost)
                cause = str(error).strip().splitlines()[0] if str(error).strip() else ""
                outcomes.append((slot, ("died", f"the Ray actor died ({type(error).__name__}: {cause})")))
        return outcomes

    def _discard(self, slot: int) -> None:
        self.running.pop(slot, None)
        actor = self.actors.pop(slot, None)
        if actor is not None:
            self.ray.kill(actor)

    def close(self) -> None:
        """Stop the actors, and the local Ray instance if this executor started it."""
        for slot in list(self.actors):
            self._discard(slot)
        if self.started_ray:
            self.ray.shutdown()
