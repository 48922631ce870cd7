"""Crash safety: kill -9 a real search at several points, resume it, and get what an uninterrupted run gets."""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pnas.cli import main

ROOT = Path(__file__).resolve().parents[2]
SEARCH = [
    "search",
    "--config",
    str(ROOT / "configs/search/digits.yaml"),
    "--max_blocks=2",
    "--beam_size=3",
    "--initial_cells=5",
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=2",
    "--model.filters=4",
    "--progress=false",
    "--wandb=disabled",
    "--workers=1",  # in this process: the kill points count its candidates (tests/search/test_workers.py: N)
]


def stored_candidates(run_dir: Path) -> list[tuple[str, str, float]]:
    connection = sqlite3.connect(f"file:{run_dir / 'search.sqlite'}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT step, cell, val_acc FROM candidates ORDER BY id").fetchall()
    finally:
        connection.close()


def count_candidates(run_dir: Path) -> int:
    try:
        return len(stored_candidates(run_dir))
    except sqlite3.Error:
        return 0


def start_search(run_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "pnas", *SEARCH, f"--run_dir={run_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def wait_for(process: subprocess.Popen, run_dir: Path, candidates: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while count_candidates(run_dir) < candidates:
        assert process.poll() is None, f"search ended early: {process.stderr.read()}"
        assert time.monotonic() < deadline, "search too slow"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[tuple[str, str, float]]:
    run_dir = tmp_path_factory.mktemp("reference")
    main([*SEARCH, f"--run_dir={run_dir}"])
    return stored_candidates(run_dir)


@pytest.mark.parametrize("kill_after", [2, 5, 6], ids=["mid-step-1", "step-1-done", "mid-step-2"])
def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path, reference, kill_after):
    run_dir = tmp_path / "run"
    process = start_search(run_dir)
    wait_for(process, run_dir, kill_after)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    survived = stored_candidates(run_dir)
    assert kill_after <= len(survived) < len(reference)

    main([*SEARCH, f"--run_dir={run_dir}"])  # same run_dir: resume
    resumed = stored_candidates(run_dir)
    assert resumed == reference  # same cells, same order, same accuracies
    assert len({(step, cell) for step, cell, _ in resumed}) == len(resumed) == 8  # nothing trained twice
    with open(run_dir / "candidates.csv", newline="") as handle:
        assert [(int(r["step"]), r["cell"]) for r in csv.DictReader(handle)] == [(s, c) for s, c, _ in reference]


def test_sigterm_stops_after_the_current_write_and_the_printed_command_resumes(tmp_path, reference):
    run_dir = tmp_path / "run"
    process = start_search(run_dir)
    wait_for(process, run_dir, 1)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    resume = f"pnas search --config {run_dir}/config.yaml"
    assert "search stopped by SIGTERM" in err and f"resume with: {resume}" in err and "Traceback" not in err
    assert 1 <= count_candidates(run_dir) < len(reference)

    main(resume.split()[1:])
    assert stored_candidates(run_dir) == reference


def test_a_second_search_on_a_run_dir_in_use_is_refused_with_the_holders_process_id(tmp_path, capsys, reference):
    run_dir = tmp_path / "run"
    process = start_search(run_dir)
    try:
        wait_for(process, run_dir, 1)
        with pytest.raises(SystemExit) as exit_info:
            main([*SEARCH, f"--run_dir={run_dir}"])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert f"is in use by another search (process {process.pid})" in err and len(err.strip().splitlines()) == 1
    finally:
        process.kill()
        process.wait(timeout=30)
    main([*SEARCH, f"--run_dir={run_dir}"])  # the lock went with the process: resume
    assert stored_candidates(run_dir) == reference
