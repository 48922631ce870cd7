"""Files: reading what a user hands `pnas` (a text file, JSON text), and replacing a file atomically.

Reading: every failure is one `pnas` error naming the input.

A file that is missing, a directory, unreadable or not UTF-8, and JSON that does not parse or nests too deeply
for Python, all become the caller's error class with a one-line message, never a raw ``OSError``,
``UnicodeDecodeError`` or ``RecursionError``. This module imports nothing heavy.
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pnas.errors import PNASError, brief

__all__ = [
    "json_object",
    "parse_user_json",
    "read_text_or_none",
    "read_user_text",
    "replace_atomically",
    "write_text_atomically",
]


def read_user_text(
    path: str | os.PathLike[str],
    what: str,
    error: type[PNASError],
    missing: type[PNASError] | None = None,
    hint: str = "check the path",
) -> str:
    """The text of the UTF-8 file at ``path`` (a leading byte-order mark dropped), which the user named.

    Args:
        path: The file.
        what: What the file is, for messages: ``"genotype file"``, ``"benchmark table"``.
        error: The error raised when the file cannot be read as text.
        missing: The error raised when the file does not exist (default: ``error``).
        hint: How to fix it, ending every message: ``"pass the CSV's path with --table"``.

    Raises:
        PNASError: ``error`` (``missing`` when the file does not exist):
            ``"cannot read <what> '<path>': <reason>; <hint>"``.
    """
    try:
        path = Path(path)
    except TypeError:
        raise error(f"a {what} must be a path, got {type(path).__name__}") from None
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise (missing or error)(f"cannot read {what} {_name(path)}: file not found; {hint}") from None
    except OSError as cause:
        raise error(f"cannot read {what} {_name(path)}: {_os_reason(cause)}; {hint}") from None
    except ValueError:  # a NUL byte in the path
        raise error(f"cannot read {what} {_name(path)}: the path contains a NUL byte; {hint}") from None
    data = data.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as cause:
        byte = data[cause.start]
        reason = f"not UTF-8 text (byte 0x{byte:02x} at offset {cause.start}), perhaps a binary file"
        raise error(f"cannot read {what} {_name(path)}: {reason}; {hint}") from None


def read_text_or_none(path: str | os.PathLike[str]) -> str | None:
    """The UTF-8 text of a file `pnas` wrote itself; ``None`` if it is missing or unreadable (then it is rebuilt)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _name(path: Path) -> str:
    """The path, quoted, for a message: in full unless it is longer than any real path."""
    return brief(str(path), limit=240)


def _os_reason(error: OSError) -> str:
    """Why the file could not be read, in words."""
    if isinstance(error, IsADirectoryError):
        return "it is a directory, not a file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return (error.strerror or str(error)).lower()


def json_object(text: str | None) -> dict[str, Any]:
    """The object in ``text``; empty when there is none (missing, cut short, not an object)."""
    try:
        value = json.loads(text) if text else {}
    except (ValueError, RecursionError):
        return {}
    return value if isinstance(value, dict) else {}


def parse_user_json(text: str | bytes, what: str, error: type[PNASError]) -> Any:
    """The value of JSON ``text`` that a user gave (``NaN`` and ``Infinity`` allowed, as :func:`json.loads` does).

    Args:
        text: The JSON.
        what: What it is, for messages: ``"genotype"``, a file's path.
        error: The error raised when it does not parse.

    Raises:
        PNASError: ``error``: ``"<what> is not valid JSON: <reason>"``; the reason gives the line and column, or
            says the text nests too deeply or holds an integer too long to convert.
    """
    try:
        return json.loads(text, parse_int=_json_integer)
    except RecursionError:
        raise error(f"{what} is not valid JSON: it nests too deeply to parse") from None
    except (ValueError, TypeError) as cause:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise error(f"{what} is not valid JSON: {cause}") from None


def _json_integer(digits: str) -> int:
    """A JSON integer; one too long for ``int`` says so, rather than suggesting a setting of ``sys``."""
    try:
        return int(digits)
    except ValueError:
        raise ValueError(f"an integer of {len(digits.lstrip('-'))} digits is too long") from None


def replace_atomically(path: str | os.PathLike[str], write: Callable[[Path], object]) -> Path:
    """Make ``path`` anew with ``write``: into ``<path>.partial``, flushed to disk, then renamed over ``path``.

    A crash or a failed write (a full disk) leaves the old file or the new one, never a part of one; the partial
    file is removed when the write fails.

    Args:
        path: The file to replace (or create).
        write: Writes the new content to the path it is given (``torch.save``, ``figure.savefig``, ...).

    Raises:
        Exception: Whatever ``write`` raises, and ``OSError`` from flushing or renaming; ``path`` is unchanged.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        write(partial)
        with open(partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    _flush_directory(path.parent)
    return path


def write_text_atomically(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` with :func:`replace_atomically`."""
    return replace_atomically(path, lambda partial: partial.write_text(text, encoding="utf-8"))


def _flush_directory(directory: Path) -> None:
    """Flush a directory's entries (the rename) to disk, where the file system allows it."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
