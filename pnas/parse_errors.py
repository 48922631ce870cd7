"""The command line's argument errors as one line: the key, what it was given and what it takes.

jsonargparse reports a value that fits no type of a union over several lines (the subtypes, one error per subtype,
the given value and its type). The ``pnas`` command prints errors as one line, so :func:`one_line_parse_error`
condenses such a report, and joins the lines of any other.
"""

from __future__ import annotations

import ast
import re

__all__ = ["one_line_parse_error"]

_KEY = re.compile(r'Parser key "(?P<key>[^"]+)":')
_GIVEN = re.compile(r"^\s*Given value: (?P<value>.*)$", re.MULTILINE)
_EXPECTED = re.compile(r"^\s*- Expected an? (?P<what>.+)$", re.MULTILINE)
_EXPECTED_GOT = re.compile(r"Expected an? (?P<what>.+?)\. Got value: (?P<value>.*)$", re.MULTILINE)
_LITERAL = re.compile(r"^typing\.Literal\[(?P<choices>.*)\]$")
_CLASS = re.compile(r"^<class '(?:builtins\.)?(?P<name>[\w.]+)'>$")


def _expectation(what: str) -> str:
    """One subtype's expectation in words: ``one of a, b``, ``int``, ``null``, ``a class path``."""
    literal = _LITERAL.match(what)
    if literal:
        try:
            choices = ast.literal_eval(f"[{literal['choices']}]")
        except (SyntaxError, ValueError):
            return f"one of {literal['choices']}"
        return "one of " + ", ".join(map(str, choices))
    if what.startswith("dot import path string"):
        return "a class path"
    named = _CLASS.match(what)
    if named:
        name = named["name"].rsplit(".", 1)[-1]
        return "null" if name == "NoneType" else name
    return what


def one_line_parse_error(message: str) -> str:
    """The message of a jsonargparse argument error as one line.

    A report on a value becomes ``KEY: got VALUE; expected A or B``, with the key of a class's argument in full
    (``strategy.beam_size``); any other message has its lines joined.

    Args:
        message: The message of jsonargparse's ``ArgumentError``.
    """
    keys = list(_KEY.finditer(message))
    if keys:
        innermost = message[keys[-1].end() :]  # the report on the innermost key, a class's argument
        key = ".".join(match["key"] for match in keys)
        simple = _EXPECTED_GOT.search(innermost)
        if simple:
            return f"{key}: got {simple['value'].strip()!r}; expected {_expectation(simple['what'].strip())}"
        given = _GIVEN.search(innermost)
        expected = [_expectation(match["what"].strip()) for match in _EXPECTED.finditer(innermost)]
        if given and expected:
            return f"{key}: got {given['value'].strip()!r}; expected {' or '.join(dict.fromkeys(expected))}"
    return "; ".join(line.strip() for line in message.splitlines() if line.strip())
