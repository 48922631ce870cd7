"""One search per run directory: an exclusive lock held for the search's whole life."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType

from pnas.errors import ConfigError
from pnas.search.run.layout import LOCK

__all__ = ["RunDirLock"]


class RunDirLock:
    """Hold an exclusive lock on ``run_dir`` (``fcntl.flock`` on ``run_dir/.pnas.lock``) within the block.

    The kernel releases the lock when the process ends, however it ends, so a crashed search never leaves a stale
    lock. Where ``fcntl`` does not exist (Windows) the block runs without a lock.

    Args:
        run_dir: An existing run directory.

    Raises:
        ConfigError: Another process holds the lock; the message names its process id.
    """

    def __init__(self, run_dir: str | Path) -> None:
        self.path = Path(run_dir) / LOCK
        self._fd: int | None = None

    def __enter__(self) -> RunDirLock:
        try:
            import fcntl
        except ImportError:  # not POSIX
            return self
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise ConfigError(
                f"cannot write to run_dir {self.path.parent} ({error.strerror or error}); nothing in it was changed: "
                "make it writable and run the same command again, or choose another run_dir"
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            except OSError:
                holder = "unknown"
            os.close(fd)
            raise ConfigError(
                f"{self.path.parent} is in use by another search (process {holder}); wait for it to end, stop it, "
                "or choose another run_dir"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as error:  # a full disk: the lock holds, only the process id is not written
            print(f"pnas: could not write the process id to {self.path} ({error.strerror or error})", file=sys.stderr)
        self._fd = fd
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None
