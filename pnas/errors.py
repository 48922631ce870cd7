"""Exceptions raised by `pnas`.

Every error the package raises on purpose derives from :class:`PNASError`, so callers (and the CLI) can tell
a user mistake from a bug; :class:`SearchInterrupted`, a stop asked for by a signal, is no error and derives from
``BaseException``. This module imports nothing heavy.
"""

from __future__ import annotations

import reprlib
import signal
from pathlib import Path

__all__ = [
    "ConfigError",
    "DataNotFoundError",
    "GenotypeError",
    "PNASError",
    "SearchFailedError",
    "SearchInterrupted",
    "StoreError",
    "brief",
    "require_integer",
]


class PNASError(Exception):
    """Base class of every error `pnas` raises deliberately; its message says what is wrong and how to fix it."""


class GenotypeError(PNASError, ValueError):
    """A cell genotype is invalid: unknown operation, input out of range, empty cell, or text that does not parse."""


class DataNotFoundError(PNASError, FileNotFoundError):
    """A dataset is not on disk and could not be downloaded."""


class ConfigError(PNASError, ValueError):
    """A setting is out of range or inconsistent, e.g. a beam size below 1."""


class SearchFailedError(PNASError):
    """Too many candidates in a row failed: something is wrong beyond a single architecture."""


class StoreError(PNASError):
    """The store file is damaged, foreign, or cannot be written; the message says what to do, nothing is deleted."""


class SearchInterrupted(BaseException):
    """The search was stopped by a signal after its last write; every finished candidate is stored.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` swallows it.

    Attributes:
        signum: The signal received.
        run_dir: The run directory; running the same search again with it resumes.
    """

    def __init__(self, signum: int, run_dir: Path) -> None:
        self.signum, self.run_dir = signum, run_dir
        name = signal.Signals(signum).name
        super().__init__(
            f"search stopped by {name}; every finished candidate is saved in {run_dir}. "
            "Run the same search with the same run_dir to resume"
        )


def require_integer(label: str, value: object, minimum: int = 1) -> None:
    """Refuse ``value`` unless it is an integer (not a bool) of at least ``minimum``.

    Raises:
        ConfigError: ``"<label> must be an integer >= <minimum>, got <value>"``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{label} must be an integer >= {minimum}, got {value!r}")


class _BriefRepr(reprlib.Repr):
    """``reprlib`` cut to a message's length; integers too long for ``repr`` are described, not written out."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxlevel, self.maxlist, self.maxtuple, self.maxdict = 3, 6, 6, 4
        self.maxstring, self.maxlong, self.maxother = limit, 40, limit

    def repr_int(self, value: int, level: int) -> str:
        if value.bit_length() > 128:  # repr of a 5,000-digit integer raises ValueError
            return f"<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
        return super().repr_int(value, level)


def brief(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to at most ``limit`` characters, for messages about user input.

    Safe on any input: huge or deeply nested values, long strings (their newlines escaped, so still one line).
    """
    text = _BriefRepr(limit).repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
