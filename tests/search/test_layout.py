"""Every file name of a run directory is spelled once, in pnas.search.run.layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pnas.search.run import layout

PACKAGE = Path(__file__).resolve().parents[2] / "pnas"


def test_run_directory_file_names_are_spelled_only_in_the_layout_module():
    names = [getattr(layout, constant) for constant in layout.__all__]
    assert "search.sqlite" in names and "best_candidate.pt" in names and len(set(names)) == len(names)
    quoted = re.compile("([\"'])(?:" + "|".join(map(re.escape, names)) + ")\\1")  # either quote
    spelled = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in PACKAGE.rglob("*.py")
        if path.name != "layout.py"
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if quoted.search(line)
    ]
    assert spelled == []


def test_a_run_dir_names_every_file_of_the_layout_and_claims_only_directories_a_search_may_use(tmp_path):
    from pnas.errors import ConfigError
    from pnas.search.run.run_dir import RunDir
    from pnas.search.run.store import SearchStore

    files = RunDir(tmp_path / "new")
    paths = {getattr(files, name) for name in dir(RunDir) if isinstance(getattr(RunDir, name), property)}
    named = {getattr(layout, constant) for constant in layout.__all__} - {layout.LOCK}
    assert {path.name for path in paths} == named and {path.parent for path in paths} == {files.path}

    assert RunDir.claim(files.path).create().path.is_dir()  # new, then created
    with RunDir.claim(files.path).lock():  # empty but for the lock file
        assert (files.path / layout.LOCK).exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match=r"is not empty \(notes.txt\) and holds no pnas search"):
        RunDir.claim(foreign)
    SearchStore(RunDir(foreign).store).close()  # a pnas run directory: its other files are the search's
    assert RunDir.claim(foreign).path == foreign
    with pytest.raises(ConfigError, match="run_dir is empty"):
        RunDir.claim("  ")
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(ConfigError, match="cannot create run_dir"):
        RunDir(blocked / "sub").create()
