"""Stopping a search cleanly on SIGINT or SIGTERM: never in the middle of a write, always with a way to resume."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from pnas.errors import SearchInterrupted

__all__ = ["StopOnSignals"]

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopOnSignals:
    """Make SIGINT and SIGTERM raise :class:`SearchInterrupted` within the block, but never during a write.

    Inside :meth:`deferred` blocks (writes), a signal is held and raised as soon as the write is done.

    Python runs signal handlers in the main thread whatever thread the signal hits, so the handler itself decides;
    outside the main thread this does nothing.

    Args:
        run_dir: The run directory named in the interruption.
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._depth = 0
        self._pending: int | None = None
        self._stopping = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._depth or self._stopping:  # a second signal (e.g. to the whole process group) while cleaning up
            self._pending = self._pending if self._stopping else signum
            return
        self._stopping = True
        raise SearchInterrupted(signum, self.run_dir)

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            self._previous = {signum: signal.signal(signum, self._handle) for signum in _SIGNALS}
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous = {}

    @contextmanager
    def deferred(self) -> Iterator[None]:
        """Hold SIGINT and SIGTERM back until the block has finished, then raise :class:`SearchInterrupted`."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
            if not self._depth and self._pending is not None:
                signum, self._pending, self._stopping = self._pending, None, True
                raise SearchInterrupted(signum, self.run_dir)
