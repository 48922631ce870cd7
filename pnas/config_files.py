"""Checks of the YAML on a ``pnas`` command line, run before jsonargparse reads it, so that it cannot crash.

jsonargparse parses ``--config`` files and every argument value with libyaml, which recurses once per level of
nesting: ``"[" * 100_000`` kills the process (a segmentation fault, no message at all), a few thousand nested
mappings raise ``RecursionError``, an alias inside the node it names (``a: &x [*x]``) loops into
``RecursionError``, and a binary config file raises ``UnicodeDecodeError``. :func:`check_command_line` refuses all
of them first with one :class:`~pnas.errors.ConfigError`, and a config file that jsonargparse would refuse with
a screenful of usage (missing, a directory, not YAML, not a mapping) too. It reads YAML event by event with the
pure-Python parser, which keeps its own stack: nothing here recurses, whatever the input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import yaml
from yaml.reader import Reader, ReaderError

from pnas.errors import ConfigError, brief
from pnas.files import read_user_text

__all__ = ["MAX_NESTING", "check_command_line", "check_config_file"]

#: The deepest nesting of lists and mappings accepted in a config file or an argument value (real ones use ~6).
MAX_NESTING = 100

#: The characters that open a level of YAML nesting: flow ``[`` and ``{``, block ``- ``, ``key:`` and ``? key``.
_NESTING_CHARACTERS = "[{-:?"

#: Files an argument names are checked up to this size (deep nesting needs at least 2 bytes a level).
_MAX_CHECKED_BYTES = 16 * 2**20

#: How to write a config file, ending the messages about one.
_CONFIG_HINT = "write settings as 'key: value' lines, e.g. 'trainer:' then '  max_epochs: 1'"

#: What a YAML value is, in words, by its Python type.
_KIND_NAMES = {list: "list", str: "string", bool: "boolean", int: "number", float: "number", type(None): "null"}

#: The loader jsonargparse uses (libyaml's where PyYAML has it), safe once the structure has been checked.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_command_line(argv: Sequence[str]) -> None:
    """Refuse, as one :class:`~pnas.errors.ConfigError`, command-line YAML that would crash jsonargparse.

    Each ``--config`` / ``-c`` value is checked as :func:`check_config_file` does (a value that is not a file but
    YAML text holding a mapping or list is checked as that text). Every argument value (``--key=value`` or a
    word of its own) may nest at most :data:`MAX_NESTING` levels, and so may a text file it names (jsonargparse
    reads one as YAML, e.g. ``--data data.yaml``).

    Args:
        argv: The command line after the program name, e.g. ``["fit", "--config", "fit.yaml"]``.

    Raises:
        ConfigError: A config file or value is refused, or an argument nests too deeply.
    """
    for value in _config_values(argv):
        _check_config_value(value)
    for argument in argv:
        value = argument.partition("=")[2] if argument.startswith("-") and "=" in argument else argument
        _check_nesting(value, f"argument {brief(argument)}")
        _check_named_file(value)


def check_config_file(path: str | Path) -> None:
    """Refuse a config file that is not one readable YAML mapping nesting at most :data:`MAX_NESTING` levels.

    Args:
        path: The file given with ``--config``.

    Raises:
        ConfigError: The file is missing, a directory, unreadable or not UTF-8 text; it is not YAML, nests too
            deeply, has an alias inside the node it names, is empty, holds several documents or one that is not
            a mapping. The message names the file and says how to fix it.
    """
    text = read_user_text(path, "config file", ConfigError, hint="pass the path of a YAML file")
    _check_config_text(text, f"config file {str(path)!r}")


def _config_values(argv: Sequence[str]) -> Iterator[str]:
    """The values given to ``--config`` / ``-c``: ``--config X``, ``--config=X``, ``-c X`` or ``-cX``."""
    for index, argument in enumerate(argv):
        if argument in ("--config", "-c"):
            if index + 1 < len(argv):
                yield argv[index + 1]
        elif argument.startswith("--config="):
            yield argument.removeprefix("--config=")
        elif argument.startswith("-c") and not argument.startswith("--"):
            yield argument.removeprefix("-c")


def _check_config_value(value: str) -> None:
    """Check a ``--config`` value as jsonargparse reads it: a file if there is one, else YAML text, else a path."""
    path = Path(value)
    kind = _path_kind(path)
    if kind == "special":
        return  # a pipe or a device, e.g. --config <(...): reading it here would leave nothing for jsonargparse
    if kind == "missing" and isinstance(_inline_value(value), (dict, list)):
        _check_config_text(value, "the --config value")
    else:
        check_config_file(path)


def _path_kind(path: Path) -> str:
    """``"file"``, ``"directory"``, ``"special"`` (a pipe, a device) or ``"missing"`` (also: not a valid path)."""
    try:
        if not path.exists():
            return "missing"
        return "file" if path.is_file() else "directory" if path.is_dir() else "special"
    except (OSError, ValueError):  # a name too long, a NUL byte: reading it says so
        return "missing"


def _inline_value(value: str) -> object:
    """What YAML ``value`` holds, or ``None`` when it is not YAML.

    Raises:
        ConfigError: It nests deeper than :data:`MAX_NESTING` or has an alias inside the node it names.
    """
    with contextlib.suppress(yaml.YAMLError):
        _check_structure(value, "the --config value")
        return yaml.load(value, Loader=_LOADER)
    return None


def _check_config_text(text: str, source: str) -> None:
    """Refuse config ``text`` unless it is one YAML mapping nesting at most :data:`MAX_NESTING` levels."""
    try:
        _check_structure(text, source)
        document = yaml.load(text, Loader=_LOADER)  # safe now: not too deep, no loops
    except yaml.YAMLError as error:
        raise ConfigError(f"{source} is not valid YAML: {_yaml_problem(error)}; fix that line") from None
    if document is None:
        raise ConfigError(f"{source} holds no settings; {_CONFIG_HINT}")
    if not isinstance(document, dict):
        raise ConfigError(f"{source} holds a {_yaml_kind(document)}, not a mapping of settings; {_CONFIG_HINT}")
    if "trainer" in document and not isinstance(document["trainer"], dict):
        got = _yaml_kind(document["trainer"])
        raise ConfigError(f"{source}: 'trainer' holds a {got}, not a mapping of Trainer settings; {_CONFIG_HINT}")


def _check_named_file(value: str) -> None:
    """Check the nesting of the text file ``value`` names, if it names one (binary and huge files are skipped)."""
    path = Path(value)
    try:
        if _path_kind(path) != "file" or path.stat().st_size > _MAX_CHECKED_BYTES:
            return
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return  # not text that YAML could nest: jsonargparse reports it, or it is no YAML (a checkpoint)
    _check_nesting(text, f"file {str(path)!r}")


def _check_nesting(value: str, source: str) -> None:
    """Refuse ``value`` if, read as YAML, it nests deeper than :data:`MAX_NESTING`; text that is not YAML passes."""
    if sum(value.count(character) for character in _NESTING_CHARACTERS) > MAX_NESTING:
        with contextlib.suppress(yaml.YAMLError):
            _check_structure(Reader.NON_PRINTABLE.sub(" ", value), source)  # odd characters: read past them


def _check_structure(text: str, source: str) -> None:
    """Refuse YAML ``text`` that nests too deeply or loops, reading it event by event (nothing built, no recursion).

    Raises:
        ConfigError: The text nests deeper than :data:`MAX_NESTING`, or an alias is inside the node it names.
        yaml.YAMLError: The text is not YAML (only found up to where it is refused).
    """
    open_anchors: list[str | None] = []  # the anchor of each collection the current event is inside
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            raise ConfigError(f"{source} uses the alias {brief(event.anchor)} inside the node it names, a loop")
        if isinstance(event, yaml.CollectionStartEvent):
            open_anchors.append(event.anchor)
            if len(open_anchors) > MAX_NESTING:
                raise ConfigError(f"{source} nests lists or mappings more than {MAX_NESTING} levels deep; flatten it")
        elif isinstance(event, yaml.CollectionEndEvent):
            open_anchors.pop()


def _yaml_kind(value: object) -> str:
    """``"list"``, ``"number"``, ...: what a YAML value is, in words."""
    return _KIND_NAMES.get(type(value), type(value).__name__)


def _yaml_problem(error: yaml.YAMLError) -> str:
    """One line saying what is wrong where, from PyYAML's several-line message."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        context = f"{error.context}, " if error.context else ""
        return f"{context}{error.problem} (line {mark.line + 1}, column {mark.column + 1})"
    if isinstance(error, ReaderError):
        return f"character #x{error.character:04x} is not allowed (position {error.position})"
    return str(error).splitlines()[0]
