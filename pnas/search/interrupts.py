"""Stopping a search cleanly on SIGINT or SIGTERM: never in the middle of a write, always with a way to resume."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

__all__ = ["SearchInterrupted", "deferred_signals", "stop_on_signals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SearchInterrupted(BaseException):
    """The search was stopped by a signal after its last write; every finished candidate is stored.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` swallows it.

    Attributes:
        signum: The signal received.
        run_dir: The run directory to resume from.
    """

    def __init__(self, signum: int, run_dir: Path) -> None:
        self.signum, self.run_dir = signum, run_dir
        name = signal.Signals(signum).name
        super().__init__(
            f"search stopped by {name}; every finished candidate is saved in {run_dir}. "
            f"Resume with: pnas search --config {run_dir / 'config.yaml'}"
        )


@contextmanager
def stop_on_signals(run_dir: Path) -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`SearchInterrupted` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        raise SearchInterrupted(signum, run_dir)

    previous = {signum: signal.signal(signum, handler) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back until the block (a write) has finished; then they are delivered."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
