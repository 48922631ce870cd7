"""One finished tiny CLI search for the whole session: resume and fault tests copy it instead of searching again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pnas.cli import main
from tests.search.cli_searches import SEARCH, stored_candidates


@pytest.fixture(scope="session")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The run directory of the tiny search of :data:`SEARCH`, run to the end once; copy it, do not change it."""
    run_dir = tmp_path_factory.mktemp("finished") / "run"
    main([*SEARCH, f"--run_dir={run_dir}"])
    (run_dir / ".pnas.lock").unlink()  # copies must not look locked, and the lock is no derived file
    return run_dir


@pytest.fixture
def finished_copy(finished_run: Path, tmp_path: Path) -> Path:
    """A private copy of :func:`finished_run`."""
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


@pytest.fixture(scope="session")
def reference(finished_run: Path) -> list[tuple[int, str, float]]:
    """The stored candidates of the uninterrupted search."""
    return stored_candidates(finished_run)
