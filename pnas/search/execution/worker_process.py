"""A worker process of the local pool: how it is started, what it runs, and how the search reads its end.

The pool (:mod:`~pnas.search.execution.worker_pool`) starts a :class:`WorkerProcess` per slot; the process runs
:func:`worker_main`: it loads the pickled job, says it is ready, then trains each cell that arrives. A job that
names classes of a ``__main__`` without a file cannot reach the workers (:func:`main_names`, :func:`main_importable`).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import pickletools
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from pnas.errors import ConfigError

__all__ = [
    "CLOSE_TIMEOUT",
    "READY",
    "STOP_SIGNALS",
    "WorkerProcess",
    "describe_exit",
    "main_importable",
    "main_names",
    "worker_main",
]

#: How long a closing worker may take to finish on its own before it is killed (seconds).
CLOSE_TIMEOUT = 10.0

#: The signals a terminal or a batch system sends to every process of a job; the search alone handles them.
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}

#: What a worker says once it has loaded the job, before any cell.
READY = "ready"


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


@contextmanager
def _main_file_hidden() -> Iterator[None]:
    """``__main__.__file__`` hidden for the block when it names no file (``python -`` sets ``<stdin>``).

    A spawned process runs the main module's file again before anything else; with no file to run it would die.
    Whatever the job needs from ``__main__`` has been refused before (:func:`main_names`).
    """
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None or main_importable():
        yield
        return
    del main.__file__
    try:
        yield
    finally:
        main.__file__ = path


def main_names(payload: bytes) -> list[str]:
    """The classes and functions of ``__main__`` that the pickled ``payload`` names (the first of each kind)."""
    names, strings = set(), []
    for opcode, argument, _ in pickletools.genops(payload):
        if isinstance(argument, str) and "UNICODE" in opcode.name:
            strings.append(argument)
        elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2 and strings[-2] == "__main__":
            names.add(strings[-1])
        elif opcode.name == "GLOBAL" and str(argument).startswith("__main__ "):
            names.add(str(argument).split(" ", 1)[1])
    return sorted(names)


def main_importable() -> bool:
    """Whether spawned processes can import ``__main__`` again: it is a module (``python -m``) or a file."""
    main = sys.modules.get("__main__")
    if getattr(main, "__spec__", None) is not None:
        return True
    path = getattr(main, "__file__", None)
    return path is not None and Path(path).is_file()


class WorkerProcess:
    """One spawned worker process and the pipe to it.

    Not a daemon process, so that it may start ``DataLoader`` workers; the pool stops it, and it dies with the
    search's process (see :func:`worker_main`).

    Attributes:
        ready: The worker has loaded the job and can train.
    """

    def __init__(self, job_path: str, threads: int, gpu: str | None) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe()
        self.ready = False
        self.process = context.Process(
            target=worker_main, args=(child, job_path, threads, os.getpid()), name="pnas-worker"
        )
        with _environment(OMP_NUM_THREADS=str(threads), CUDA_VISIBLE_DEVICES=gpu), _main_file_hidden():
            self.process.start()
        child.close()

    def handles(self) -> list[Any]:
        """What :func:`multiprocessing.connection.wait` watches: the pipe, and the process ending."""
        return [self.connection, self.process.sentinel]

    def alive(self) -> bool:
        """Whether the process is still there."""
        return self.process.is_alive()

    def receive(self) -> tuple[str, Any] | None:
        """The next message the worker sent, or ``None`` when there is none (it died without sending one)."""
        try:
            if self.connection.poll():  # a message sent before the worker died still counts
                return pickle.loads(self.connection.recv_bytes())
        except (EOFError, OSError):
            pass
        return None

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


def describe_exit(code: int | None) -> str:
    """A process's exit code in words: ``killed by SIGKILL``, ``exit status 1``."""
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when its parent's starting thread dies (Linux); stop now if it has."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        os._exit(1)


def worker_main(connection: Connection, job_path: str, threads: int, parent: int) -> None:
    """A worker's life: load the job, say so, then train each cell that arrives and send back its outcome.

    It ends when told to stop, or when the search's end of the pipe closes.

    SIGINT and SIGTERM are the search's to handle (a terminal or a batch system sends them to every process of the
    job): the worker starts with them blocked and ignores them; the search stops the workers itself, and they die
    with it in any case.

    Args:
        connection: The pipe to the search.
        job_path: The file holding the pickled :class:`~pnas.search.evaluation.training.CandidateTraining`.
        threads: CPU threads for torch.
        parent: The search's process id.
    """
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    _die_with_parent(parent)
    import torch

    torch.set_num_threads(threads)
    try:
        training = pickle.loads(Path(job_path).read_bytes())
    except FileNotFoundError:
        return  # the search closed the pool (and removed the job) while this worker started
    except Exception as error:  # e.g. the model's class lives in a module this process cannot import
        message = (
            f"a worker process could not load the search ({type(error).__name__}: {error}); define the model and "
            "data module classes in a module the workers can import, or use workers: 1"
        )
        connection.send_bytes(pickle.dumps(("start_error", message)))
        return
    connection.send_bytes(pickle.dumps((READY, None)))
    while True:
        try:
            cell = connection.recv()
        except (EOFError, OSError):
            return
        if cell is None:
            return
        try:
            outcome: tuple[str, Any] = ("ok", training.train(cell))
        except ConfigError as error:
            outcome = ("config_error", str(error))
        connection.send_bytes(pickle.dumps(outcome))
