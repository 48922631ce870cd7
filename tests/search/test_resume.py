"""Crash safety: kill -9 a real search at several points, resume it, and get what an uninterrupted run gets."""

from __future__ import annotations

import csv
import signal

import pytest

from pnas.cli import main
from tests.search.cli_searches import (
    SEARCH,
    count_candidates,
    outcome,
    start_search,
    stored_candidates,
    wait_for,
)


@pytest.mark.parametrize(
    "kill_after", [1, 2, 5, 6, 7], ids=["first", "mid-step-1", "step-1-done", "mid-step-2", "last-but-one"]
)
def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path, finished_run, reference, kill_after):
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
    assert outcome(run_dir) == outcome(finished_run)  # the same best cell, validation and test figures
    assert (run_dir / "best_genotype.json").read_bytes() == (finished_run / "best_genotype.json").read_bytes()
    assert (run_dir / "best.ckpt").is_file()


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
