"""Worker processes on this machine, started once and reused, each training one candidate at a time.

The job (:class:`~pnas.search.training.CandidateTraining`: the template, the data, the trainer settings) is pickled
once and sent to every worker when it starts; after that only cells go out and results come back. Workers are
spawned (never forked, so a GPU is safe to use in them) with their share of the machine in their environment from
the start (``OMP_NUM_THREADS``; one of the visible GPUs each when there are several, else all share the one), may
start processes of their own (``DataLoader`` workers), and die with the search: ``kill -9`` of the search kills
them too, so they never train on for nobody.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import os
import pickle
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection, wait
from typing import Any

from pnas.errors import ConfigError
from pnas.resources import usable_cores
from pnas.search.executors import SlotExecutor

__all__ = ["WorkerPool", "default_threads"]

#: How long a closing worker may take to finish on its own before it is killed (seconds).
_CLOSE_TIMEOUT = 10.0


def default_threads(workers: int) -> int:
    """Torch threads of each of ``workers`` worker processes.

    The usable cores divided among them (at least 1), and no more than ``OMP_NUM_THREADS`` when it is set, so a
    pinned thread count holds for every worker.
    """
    threads = max(1, usable_cores() // workers)
    pinned = os.environ.get("OMP_NUM_THREADS", "")
    return min(threads, int(pinned)) if pinned.isdigit() and int(pinned) > 0 else threads


@contextmanager
def _environment(**values: str | None) -> Iterator[None]:
    """``os.environ`` with ``values`` set (``None``: left as it is) for the block, so a spawned child starts with it."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update({name: value for name, value in values.items() if value is not None})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Worker:
    """One spawned worker process and the pipe to it.

    Not a daemon process, so that it may start ``DataLoader`` workers; the pool stops it, and it dies with the
    search's process (see :func:`worker_main`).
    """

    def __init__(self, payload: bytes, threads: int, gpu: str | None) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.process = context.Process(
            target=worker_main, args=(child, payload, threads, os.getpid()), name="pnas-worker"
        )
        with _environment(OMP_NUM_THREADS=str(threads), CUDA_VISIBLE_DEVICES=gpu):
            self.process.start()
        child.close()

    def send(self, cell: Any) -> None:
        """Queue ``cell``; a worker that has died is reported by :meth:`WorkerPool._finished`, not here."""
        try:
            self.connection.send(cell)
        except OSError:
            pass

    def stop(self, timeout: float = 0.0) -> None:
        """Ask the worker to finish and wait ``timeout`` seconds; kill it if it is still there."""
        if timeout:
            self.send(None)
            self.process.join(timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.connection.close()


class WorkerPool(SlotExecutor):
    """``size`` worker processes training candidates side by side.

    Args:
        training: The job every worker runs; it must pickle (its module class importable by the workers).
        size: Worker processes.
        threads: CPU threads of each worker; unset: :func:`default_threads`.

    Raises:
        ConfigError: The job cannot be pickled for the workers.
    """

    def __init__(self, training: Any, size: int, threads: float | None = None) -> None:
        super().__init__(size)
        try:
            self.payload = pickle.dumps(training)
        except Exception as error:
            raise ConfigError(
                f"the search cannot be sent to worker processes ({type(error).__name__}: {error}); define the "
                "model and data module classes in an importable module, or use workers: 1"
            ) from None
        self.threads = max(1, int(threads)) if threads else default_threads(size)
        self.gpus = _gpus(training)
        self.workers: dict[int, _Worker] = {}
        # A pool nobody closed is stopped when the program ends, before multiprocessing waits for its children.
        multiprocessing.util.Finalize(self, _kill_all, args=(self.workers,), exitpriority=10)

    def _submit(self, slot: int, cell: Any) -> None:
        worker = self.workers.get(slot)
        if worker is not None and not worker.process.is_alive():
            self._discard(slot)  # died while idle (e.g. killed between steps): start a new one
            worker = None
        if worker is None:
            gpu = self.gpus[slot % len(self.gpus)] if self.gpus else None
            worker = self.workers[slot] = _Worker(self.payload, self.threads, gpu)
        worker.send(cell)

    def _finished(self, slots: list[int]) -> list[tuple[int, tuple[str, Any]]]:
        watched = {self.workers[slot].connection: slot for slot in slots}
        watched.update({self.workers[slot].process.sentinel: slot for slot in slots})
        ready = {watched[handle] for handle in wait(list(watched))}
        outcomes = []
        for slot in sorted(ready):
            worker = self.workers[slot]
            try:
                if worker.connection.poll():  # a result sent before the worker died still counts
                    outcomes.append((slot, pickle.loads(worker.connection.recv_bytes())))
                    continue
            except (EOFError, OSError):
                pass
            worker.process.join(_CLOSE_TIMEOUT)
            outcomes.append((slot, ("died", f"the worker process died ({_describe_exit(worker.process.exitcode)})")))
        return outcomes

    def _discard(self, slot: int) -> None:
        worker = self.workers.pop(slot, None)
        if worker is not None:
            worker.stop()

    def close(self) -> None:
        """Stop the workers: idle ones finish their loop, ones still training (an interrupted step) are killed."""
        for slot in list(self.workers):
            self.workers.pop(slot).stop(0.0 if slot in self.held else _CLOSE_TIMEOUT)
        self.held.clear()


def _kill_all(workers: dict[int, _Worker]) -> None:
    for worker in workers.values():
        worker.stop()
    workers.clear()


def _describe_exit(code: int | None) -> str:
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


def _gpus(training: Any) -> list[str]:
    """The GPUs to spread the workers over, as ``CUDA_VISIBLE_DEVICES`` entries: the visible ones, when several."""
    if str(training.trainer_kwargs.get("accelerator", "auto")) == "cpu":
        return []
    import torch

    count = torch.cuda.device_count()
    if count < 2:
        return []
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    return [entry.strip() for entry in visible.split(",")][:count] if visible else [str(i) for i in range(count)]


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent's starting thread dies (Linux); stop now if it has."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def worker_main(connection: Connection, payload: bytes, threads: int, parent: int) -> None:
    """A worker's life: take the job, then train each cell that arrives and send back its outcome, until told to stop.

    SIGINT and SIGTERM are the search's to handle (a terminal or a batch system sends them to every process of the
    job): the search stops the workers itself, and they die with it in any case.

    Args:
        connection: The pipe to the search.
        payload: The pickled :class:`~pnas.search.training.CandidateTraining`.
        threads: CPU threads for torch.
        parent: The search's process id.
    """
    _die_with_parent(parent)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_IGN)
    import torch

    torch.set_num_threads(threads)
    try:
        training = pickle.loads(payload)
    except Exception as error:  # e.g. the model's class lives in a module this process cannot import
        training, load_error = (
            None,
            (
                f"a worker process could not load the search ({type(error).__name__}: {error}); define the model and "
                "data module classes in a module the workers can import, or use workers: 1"
            ),
        )
    while True:
        try:
            cell = connection.recv()
        except (EOFError, OSError):
            return
        if cell is None:
            return
        try:
            if training is None:
                raise ConfigError(load_error)
            outcome: tuple[str, Any] = ("ok", training.train(cell))
        except ConfigError as error:
            outcome = ("config_error", str(error))
        connection.send_bytes(pickle.dumps(outcome))
