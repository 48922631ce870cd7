"""Writing files off the critical path: one background thread, each file replaced atomically."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

__all__ = ["BackgroundWriter"]


class BackgroundWriter:
    """Write files on one background thread, in the order asked, so the search never waits for the disk.

    Each file is written to ``<name>.partial`` and renamed over the target, so a crash leaves the old file or the
    new one. A write that fails is reported on stderr (the data stays in memory) and does not stop the search.
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []

    def submit(self, save: Callable[[Any, Path], None], payload: Any, path: str | Path) -> None:
        """Write ``payload`` to ``path`` with ``save(payload, file)`` in the background."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pnas-writer")
        self._pending = [future for future in self._pending if not future.done()]
        self._pending.append(self._pool.submit(_write, save, payload, Path(path)))

    def wait(self) -> None:
        """Block until every write asked for so far is done."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()


def _write(save: Callable[[Any, Path], None], payload: Any, path: Path) -> None:
    partial = path.with_name(path.name + ".partial")
    try:
        save(payload, partial)
        os.replace(partial, path)
    except OSError as error:
        print(f"pnas: could not write {path} ({error.strerror or error}); the search goes on", file=sys.stderr)
