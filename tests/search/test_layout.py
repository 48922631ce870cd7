"""Every file name of a run directory is spelled once, in pnas.search.run.layout."""

from __future__ import annotations

import re
from pathlib import Path

from pnas.search.run import layout

PACKAGE = Path(__file__).resolve().parents[2] / "pnas"


def test_run_directory_file_names_are_spelled_only_in_the_layout_module():
    names = [getattr(layout, constant) for constant in layout.__all__]
    assert "search.sqlite" in names and "best_candidate.pt" in names and len(set(names)) == len(names)
    quoted = re.compile("|".join(f'"{re.escape(name)}"' for name in names))
    spelled = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "layout.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if quoted.search(line)
    ]
    assert spelled == []
