"""A tiny real search driven through the CLI, in this process or as a process to kill, and ways to look at it."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: ``pnas search`` arguments of a real search that trains 8 candidates in seconds.
SEARCH = [
    "search",
    "--config",
    str(ROOT / "configs/search/digits.yaml"),
    "--strategy.max_blocks=2",
    "--strategy.beam_size=3",
    "--strategy.initial_cells=5",
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=2",
    "--model.filters=4",
    "--progress=false",
    "--tracking.mode=disabled",
    "--execution.workers=1",  # in this process: the kill points count its candidates (tests/search/test_workers.py: N)
]

#: The files a search derives from its store; a re-run must never make one of them worse.
DERIVED_FILES = ("candidates.csv", "steps.csv", "result.json", "best_genotype.json", "best.ckpt")


def stored_candidates(run_dir: Path) -> list[tuple[int, str, float]]:
    """``(step, cell, value)`` of every stored candidate, in the order they were stored (read-only)."""
    connection = sqlite3.connect(f"file:{run_dir / 'search.sqlite'}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT step, cell, val_acc FROM candidates ORDER BY id").fetchall()
    finally:
        connection.close()


def count_candidates(run_dir: Path) -> int:
    """How many candidates are stored; 0 while the store does not exist yet."""
    try:
        return len(stored_candidates(run_dir))
    except sqlite3.Error:
        return 0


def start_search(run_dir: Path, *extra: str) -> subprocess.Popen:
    """``pnas search`` on ``run_dir`` as a separate process (to be killed)."""
    return subprocess.Popen(
        [sys.executable, "-m", "pnas", *SEARCH, f"--run_dir={run_dir}", *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def wait_for(process: subprocess.Popen, run_dir: Path, candidates: int, timeout: float = 120) -> None:
    """Wait until ``run_dir`` stores ``candidates`` candidates, while ``process`` runs."""
    deadline = time.monotonic() + timeout
    while count_candidates(run_dir) < candidates:
        assert process.poll() is None, f"search ended early: {process.stderr.read()}"
        assert time.monotonic() < deadline, "search too slow"
        time.sleep(0.05)


def outcome(run_dir: Path) -> dict:
    """``result.json`` without its duration."""
    result = json.loads((run_dir / "result.json").read_text())
    result.pop("seconds")
    return result


def digests(run_dir: Path) -> dict[str, str]:
    """File name -> SHA-256 of every file in ``run_dir`` (sub-directories included) but the lock."""
    return {
        str(path.relative_to(run_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(run_dir.rglob("*"))
        if path.is_file() and path.name != ".pnas.lock"
    }
