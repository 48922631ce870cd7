"""The shape the code keeps: small modules and functions in pnas/search, and every exception in pnas/errors.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 350, 60
EXCEPTION_BASES = {"BaseException", "Exception"}


def _modules(*packages: str) -> list[Path]:
    return sorted(path for package in packages for path in (ROOT / package).rglob("*.py"))


def _too_long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in functions
        if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]


def _exception_classes(path: Path) -> list[str]:
    """Classes whose bases read as exceptions: ``Exception``, ``BaseException`` or a name ending in ``Error``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef):
            names = [base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "") for base in node.bases]
            if any(name in EXCEPTION_BASES or name.endswith("Error") for name in names):
                found.append(node.name)
    return found


@pytest.mark.parametrize("path", _modules("pnas/search"), ids=lambda path: str(path.relative_to(ROOT)))
def test_search_modules_and_their_functions_stay_small(path):
    assert len(path.read_text().splitlines()) <= MAX_MODULE_LINES
    assert _too_long_functions(path) == []


def test_every_exception_is_defined_in_pnas_errors():
    elsewhere = {
        str(path.relative_to(ROOT)): classes
        for path in _modules("pnas", "surrogate")
        if path != ROOT / "pnas/errors.py" and (classes := _exception_classes(path))
    }
    assert elsewhere == {}
    assert {"PNASError", "StoreError", "SearchInterrupted"} <= set(_exception_classes(ROOT / "pnas/errors.py"))


def test_the_checks_find_what_they_look_for(tmp_path):
    source = tmp_path / "sample.py"
    body = "\n".join(f"    x{line} = {line}" for line in range(MAX_FUNCTION_LINES))
    source.write_text(f"class Odd(ValueError):\n    pass\n\n\nclass Fine:\n    pass\n\n\ndef long():\n{body}\n")
    assert _exception_classes(source) == ["Odd"]
    assert _too_long_functions(source) == [f"long ({MAX_FUNCTION_LINES + 1} lines)"]
