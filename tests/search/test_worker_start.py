"""Workers never hang: a search with workers from a script without a file, a worker that dies while starting, and
SIGTERM while the workers start all end within seconds, in one line, with no process left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from pnas.data import DigitsDataModule
from pnas.errors import ConfigError
from pnas.module import PNASModule
from pnas.search import Execution, ProgressiveSearch, SearchTrainer, Tracking
from tests.conftest import TINY_TRAINER_KWARGS
from tests.search.cli_searches import ROOT, SEARCH
from tests.search.test_workers import alive, child_pids
from tests.search.user_module import DigitsThatKillWorkers

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")

#: A tiny search with two workers, as a user would type it into ``python -`` (no file, no main guard).
SCRIPT = """
from pnas.data import DigitsDataModule
from pnas.errors import ConfigError
from pnas.module import PNASModule
from pnas.search import Execution, ProgressiveSearch, SearchTrainer, Tracking
{prelude}
trainer = SearchTrainer(max_epochs=1, limit_train_batches=2, limit_val_batches=1, accelerator="cpu", logger=False)
try:
    result = trainer.search(
        {model}, DigitsDataModule(), ProgressiveSearch(max_blocks=1, initial_cells=3), execution=Execution(workers=2),
        tracking=Tracking(mode="disabled"), progress=False, run_dir={run_dir!r},
    )
    print("trained", len(result.candidates), [record.status for record in result.candidates])
except ConfigError as error:
    print("refused:", error)
"""


def two_worker_search(run_dir: Path, datamodule: DigitsDataModule) -> None:
    """A tiny search of 4 one-block cells with 2 workers on ``datamodule``."""
    template = PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=4)
    strategy, execution = ProgressiveSearch(max_blocks=1, initial_cells=4), Execution(workers=2)
    options = dict(execution=execution, tracking=Tracking(mode="disabled"), progress=False, run_dir=str(run_dir))
    SearchTrainer(**TINY_TRAINER_KWARGS).search(template, datamodule, strategy, **options)


def run_stdin(script: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-"],
        input=script,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_a_search_with_workers_from_python_stdin_runs(tmp_path):
    model = "PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=4)"
    done = run_stdin(SCRIPT.format(prelude="", model=model, run_dir=str(tmp_path)))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "trained 3 ['ok', 'ok', 'ok']" in done.stdout


def test_classes_of_a_fileless_main_are_refused_in_one_line_before_any_worker_starts(tmp_path):
    prelude = "class MyModule(PNASModule):\n    pass\n"
    model = "MyModule(num_classes=10, in_channels=1, num_cells=1, filters=4)"
    start = time.monotonic()
    done = run_stdin(SCRIPT.format(prelude=prelude, model=model, run_dir=str(tmp_path)), timeout=60)
    assert time.monotonic() - start < 30
    refusal = next(line for line in done.stdout.splitlines() if line.startswith("refused:"))
    assert "workers: 2 cannot train MyModule: defined in a script without a file" in refusal
    assert "move the classes into a .py module" in refusal and "or use workers: 1" in refusal
    assert not (tmp_path / "candidates.csv").exists()


def test_a_worker_that_dies_while_starting_fails_the_search_at_once_in_one_line(tmp_path):
    start = time.monotonic()
    with pytest.raises(ConfigError) as refused:
        two_worker_search(tmp_path, DigitsThatKillWorkers())
    message = str(refused.value)
    assert message.startswith("a worker process died while starting (exit status 3)") and "\n" not in message
    assert "or use workers: 1" in message
    assert time.monotonic() - start < 60


@linux_only
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_while_workers_start_leaves_no_traceback_and_no_process(tmp_path, signum):
    process = subprocess.Popen(
        [sys.executable, "-m", "pnas", *SEARCH, "--execution.workers=2", f"--run_dir={tmp_path}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        start_new_session=True,  # its own process group, as a terminal's job or a batch system's
    )
    deadline = time.monotonic() + 60
    while not (workers := worker_pids(process.pid)):
        assert process.poll() is None, process.stderr.read()
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.01)
    os.killpg(process.pid, signum)  # to every process of the job, the starting workers too
    _, err = process.communicate(timeout=30)
    assert process.returncode != 0 and "Traceback" not in err, err
    assert "search stopped by" in err and "resume" in err
    deadline = time.monotonic() + 15
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in workers), "a worker outlived the search"


def worker_pids(pid: int) -> set[int]:
    """The worker processes among ``pid``'s children (not, say, a tool an import runs)."""
    workers = set()
    for child in child_pids(pid):
        try:
            if b"multiprocessing" in Path(f"/proc/{child}/cmdline").read_bytes():
                workers.add(child)
        except FileNotFoundError:
            pass
    return workers


def test_the_job_file_is_removed_when_the_workers_stop(tmp_path):
    before = set(Path(tempfile.gettempdir()).glob("pnas-job-*"))
    two_worker_search(tmp_path, DigitsDataModule())
    assert set(Path(tempfile.gettempdir()).glob("pnas-job-*")) <= before
