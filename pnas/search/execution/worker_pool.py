"""Candidates side by side on this machine: this process trains one, worker processes the others.

Slot 0 is this process itself: it trains its candidate in a thread, at once, with the job and data it already holds,
while the worker processes start (each imports torch and Lightning first, seconds on a small machine). The other
slots are worker processes, started once and reused, each training one candidate at a time.

The job (:class:`~pnas.search.evaluation.training.CandidateTraining`: the template, the data, the trainer settings) is
pickled once into a file that every worker reads when it starts; after that only cells go out and results come back.
Workers are spawned (never forked, so a GPU is safe to use in them) all at once, with their share of the machine in
their environment from the start (``OMP_NUM_THREADS``; one of the visible GPUs each when there are several, else all
share the one). They may start processes of their own (``DataLoader`` workers), ignore SIGINT and SIGTERM from their
first instruction (the search stops them), and die with the search: ``kill -9`` of the search kills them too, so they
never train on for nobody.

A worker that cannot start fails the search at once, in one line: one that dies before it has loaded the job, or
whose job names classes it cannot import. A job that names classes of a ``__main__`` that has no file (``python -``,
``python -c``, a notebook) is refused before any worker starts: the workers could never import them.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.resource_tracker
import multiprocessing.util
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import wait
from pathlib import Path
from typing import Any

from pnas.errors import ConfigError
from pnas.resources import candidate_threads
from pnas.search.execution.base import SlotExecutor
from pnas.search.execution.worker_process import (
    CLOSE_TIMEOUT,
    READY,
    STOP_SIGNALS,
    WorkerProcess,
    describe_exit,
    main_importable,
    main_names,
)

__all__ = ["WorkerPool"]


@contextmanager
def _stop_signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back for the block, then delivered to the handlers in place before it.

    Two holds, because either alone lets a signal through: blocked in this thread, so that a process started
    inside starts with them blocked and never dies of one half-way through its imports; and, in the main thread,
    recorded by a stand-in handler, because the kernel may deliver them to any other thread and Python then runs
    the handler in the main thread whatever its mask. multiprocessing's resource tracker is started first:
    starting it unblocks both signals again.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    multiprocessing.resource_tracker.ensure_running()
    held: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {signum: signal.signal(signum, lambda number, _: held.append(number)) for signum in STOP_SIGNALS}
    before = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # a signal that came to this thread is delivered now
        if held:
            signal.raise_signal(held[0])


class _ThreadSlot:
    """The slot this process trains itself: one candidate at a time, in a thread, reporting through a pipe.

    It needs no start-up: the job and its data are here already. The search's own thread only waits meanwhile.

    Args:
        training: The job.
    """

    ready = True

    def __init__(self, training: Any) -> None:
        self.training = training
        self.connection, self._wake = multiprocessing.Pipe(duplex=False)
        self._abandon = threading.Event()
        self._thread: threading.Thread | None = None
        self._outcome: tuple[str, Any] | None = None

    def handles(self) -> list[Any]:
        """What :func:`multiprocessing.connection.wait` watches: the pipe the thread reports on."""
        return [self.connection]

    def alive(self) -> bool:
        """Always: a thread slot cannot die while idle."""
        return True

    def send(self, cell: Any) -> None:
        """Start training ``cell`` in a new thread."""
        self._abandon.clear()
        self._thread = threading.Thread(target=self._run, args=(cell,), name="pnas-candidate", daemon=True)
        self._thread.start()

    def _run(self, cell: Any) -> None:
        try:
            outcome: tuple[str, Any] = ("ok", self.training.train(cell, stop=self._abandon))
        except ConfigError as error:
            outcome = ("config_error", str(error))
        except BaseException as error:  # reported to the search as a dead slot
            outcome = ("died", f"the candidate's thread stopped ({type(error).__name__}: {error})")
        self._outcome = outcome
        self._wake.send_bytes(b"")

    def receive(self) -> tuple[str, Any] | None:
        """The outcome of the candidate that has just finished."""
        self.connection.recv_bytes()
        outcome, self._outcome = self._outcome, None
        return outcome

    def stop(self, timeout: float = 0.0) -> None:
        """Abandon the candidate in training, if any (it stops at its next batch), and wait for its thread."""
        self._abandon.set()
        if self._thread is not None:
            self._thread.join()
        self.connection.close()
        self._wake.close()


class WorkerPool(SlotExecutor):
    """``size`` candidates trained side by side: one in this process, ``size - 1`` in worker processes.

    Args:
        training: The job every worker runs; it must pickle (its module class importable by the workers).
        size: Candidates at once (``size - 1`` worker processes).
        threads: CPU threads of each worker; unset: :func:`~pnas.resources.candidate_threads`.

    Raises:
        ConfigError: The job cannot be pickled for the workers, or it names classes of a ``__main__`` that the
            workers cannot import.
    """

    def __init__(self, training: Any, size: int, threads: float | None = None) -> None:
        super().__init__(size)
        try:
            payload = pickle.dumps(training)
        except Exception as error:
            raise ConfigError(
                f"the search cannot be sent to worker processes ({type(error).__name__}: {error}); define the "
                "model and data module classes in an importable module, or use workers: 1"
            ) from None
        unreachable = [] if main_importable() else main_names(payload)
        if unreachable:
            raise ConfigError(
                f"workers: {size} cannot train {', '.join(unreachable)}: defined in a script without a file "
                "(python -, python -c or a notebook), which worker processes cannot import; move the classes into a "
                ".py module and import them from there, or use workers: 1"
            )
        self.training, self.threads = training, candidate_threads(threads)
        self.gpus = _gpus(training)
        self.workers: dict[int, WorkerProcess | _ThreadSlot] = {}
        descriptor, self.job_path = tempfile.mkstemp(prefix="pnas-job-", suffix=".pkl")
        with os.fdopen(descriptor, "wb") as job_file:
            job_file.write(payload)
        # A pool nobody closed is stopped when the program ends, before multiprocessing waits for its children.
        multiprocessing.util.Finalize(self, _kill_all, args=(self.workers, self.job_path), exitpriority=10)

    def start(self) -> None:
        """Start the worker processes now: they import and load the job while the search sets up."""
        for slot in range(1, self.size):
            if slot not in self.workers:
                self._new_worker(slot)

    def _new_worker(self, slot: int) -> WorkerProcess | _ThreadSlot:
        """Start ``slot``'s worker and keep it in :attr:`workers`.

        A signal is held until the worker is kept, so that :meth:`close` stops it whenever the signal comes.
        """
        with _stop_signals_held():
            if slot == 0:
                self.workers[slot] = _ThreadSlot(self.training)
            else:
                gpu = self.gpus[slot % len(self.gpus)] if self.gpus else None
                self.workers[slot] = WorkerProcess(self.job_path, self.threads, gpu)
        return self.workers[slot]

    def _submit(self, slot: int, cell: Any) -> None:
        worker = self.workers.get(slot)
        if worker is not None and not worker.alive():
            self._discard(slot)  # died while idle (e.g. killed between steps): start a new one
            worker = None
        if worker is None:
            worker = self._new_worker(slot)
        worker.send(cell)

    def _finished(self, slots: list[int]) -> list[tuple[int, tuple[str, Any]]]:
        """Wait for outcomes; a worker that says it is ready is noted, one that could not start stops the search.

        Raises:
            ConfigError: A worker died before it had loaded the job, or could not load it.
        """
        while True:
            watched = {handle: slot for slot in slots for handle in self.workers[slot].handles()}
            outcomes = []
            for slot in sorted({watched[handle] for handle in wait(list(watched))}):
                worker = self.workers[slot]
                message = worker.receive()
                if message is None and isinstance(worker, WorkerProcess):
                    worker.process.join(CLOSE_TIMEOUT)
                    exit_status = describe_exit(worker.process.exitcode)
                    if not worker.ready:
                        raise ConfigError(
                            f"a worker process died while starting ({exit_status}), before it could train anything; "
                            "if the script that starts the search has no 'if __name__ == \"__main__\":' guard, add "
                            "one (each worker imports the script again), or use workers: 1"
                        )
                    outcomes.append((slot, ("died", f"the worker process died ({exit_status})")))
                elif message is None:
                    continue
                elif message[0] == READY:
                    worker.ready = True
                elif message[0] == "start_error":
                    raise ConfigError(message[1])
                else:
                    outcomes.append((slot, message))
            if outcomes:
                return outcomes

    def _discard(self, slot: int) -> None:
        worker = self.workers.pop(slot, None)
        if worker is not None:
            worker.stop()

    def close(self) -> None:
        """Stop the workers: idle ones finish their loop; ones starting or training (an interrupted step) are killed."""
        for slot in list(self.workers):
            worker = self.workers.pop(slot)
            worker.stop(CLOSE_TIMEOUT if worker.ready and slot not in self.held else 0.0)
        self.held.clear()
        Path(self.job_path).unlink(missing_ok=True)


def _kill_all(workers: dict[int, WorkerProcess | _ThreadSlot], job_path: str) -> None:
    for worker in workers.values():
        worker.stop()
    workers.clear()
    Path(job_path).unlink(missing_ok=True)


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
