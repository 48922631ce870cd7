"""Exceptions raised by `pnas`.

Every error the package raises on purpose derives from :class:`PNASError`, so callers (and the CLI) can tell
a user mistake from a bug. This module imports nothing heavy.
"""

from __future__ import annotations

__all__ = ["ConfigError", "DataNotFoundError", "GenotypeError", "PNASError", "SearchFailedError", "require_integer"]


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


def require_integer(label: str, value: object, minimum: int = 1) -> None:
    """Refuse ``value`` unless it is an integer (not a bool) of at least ``minimum``.

    Raises:
        ConfigError: ``"<label> must be an integer >= <minimum>, got <value>"``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{label} must be an integer >= {minimum}, got {value!r}")
