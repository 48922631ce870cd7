"""Several candidates at once: worker processes and Ray actors train what one process trains, and die safely."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, TensorDataset

from pnas.cli import main
from pnas.data import DigitsDataModule
from pnas.errors import ConfigError
from pnas.module import PNASModule
from pnas.search import Execution, ProgressiveSearch, SearchTrainer, Tracking
from tests.conftest import TINY_TRAINER_KWARGS, cli_error, tiny_search
from tests.search.cli_searches import ROOT, SEARCH, count_candidates, stored_candidates

#: Every worker gets one thread, as the reference does: the accuracies then agree to the last digit.
WORKERS = ["--execution.workers=2", "--execution.num_cpus=1"]


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def outcome(run_dir: Path) -> tuple[list, dict]:
    result = json.loads((run_dir / "result.json").read_text())
    return sorted(stored_candidates(run_dir)), {k: result[k] for k in ("best_cell", "best_value", "test_value")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[list, dict]:
    """The search trained in this process, one candidate after another, on one thread."""
    run_dir = tmp_path_factory.mktemp("one-worker")
    with torch_threads(1):
        main([*SEARCH, f"--run_dir={run_dir}"])
    return outcome(run_dir)


def test_two_workers_train_the_same_cells_to_the_same_accuracies_as_one(tmp_path, reference):
    with torch_threads(1):
        main([*SEARCH, *WORKERS, f"--run_dir={tmp_path}"])
    assert outcome(tmp_path) == reference
    assert len(reference[0]) == 8 and reference[1]["best_cell"]


def test_ray_executor_on_a_local_cluster_gives_the_same_results(tmp_path, reference):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        with torch_threads(1):
            main([*SEARCH, *WORKERS, "--execution.executor=ray", f"--run_dir={tmp_path}"])
    finally:
        ray.shutdown()
    assert outcome(tmp_path) == reference


class KillFirstWorkerCandidate(pl.Callback):
    """Kills the worker process that starts training first (never the test's own process), as the OOM killer would."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def on_train_epoch_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if multiprocessing.parent_process() is not None and not self.marker.exists():
            self.marker.write_text(pl_module.hparams.genotype)
            os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_mid_candidate_fails_that_candidate_and_the_search_goes_on(tmp_path):
    marker = tmp_path / "killed"
    callbacks = [KillFirstWorkerCandidate(marker)]
    with torch_threads(1):
        result = tiny_search(tmp_path / "run", trainer_kwargs={"callbacks": callbacks}, workers=2, num_cpus=1)
    failed = [record for record in result.candidates if record.status == "failed"]
    assert [record.cell for record in failed] == [marker.read_text()]
    assert failed[0].error == "the worker process died (killed by SIGKILL)"
    assert len(result.candidates) == 5 and result.best_cell is not None  # a new worker took the rest
    assert (tmp_path / "run" / "candidates.csv").read_text().count(",failed,") == 1


def child_pids(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(child) for child in children.read_text().split()} if children.exists() else set()


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (FileNotFoundError, IndexError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads worker processes from /proc")
def test_kill_9_of_a_search_with_workers_kills_them_and_loses_only_candidates_in_flight(tmp_path, reference):
    run_dir = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "pnas", *SEARCH, *WORKERS, f"--run_dir={run_dir}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"},
    )
    deadline = time.monotonic() + 120
    while count_candidates(run_dir) < 3:
        assert process.poll() is None, f"search ended early: {process.stderr.read()}"
        assert time.monotonic() < deadline, "search too slow"
        time.sleep(0.05)
    workers = child_pids(process.pid)
    assert len(workers) >= 1  # workers=2: this process trains one candidate, a worker process the other
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in workers), "workers outlived the search"
    survived = stored_candidates(run_dir)
    assert 3 <= len(survived) < len(reference[0])

    with torch_threads(1):
        main([*SEARCH, *WORKERS, f"--run_dir={run_dir}"])  # resume
    assert outcome(run_dir) == reference
    assert set(survived) <= set(stored_candidates(run_dir))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--execution.workers=0"], "workers (candidates trained at once) must be an integer >= 1, got 0"),
        (["--execution.num_cpus=0"], "num_cpus (CPU cores per candidate) must be > 0"),
        (["--execution.ray_address=127.0.0.1:6379"], "ray_address is set ('127.0.0.1:6379') but executor is 'local'"),
        (
            ["--execution.executor=ray", "--execution.ray_address=127.0.0.1:1"],
            "cannot reach the Ray cluster at 127.0.0.1:1",
        ),
        (
            ["--execution.workers=2", "--trainer.devices=2"],
            "each candidate trains on one device, but trainer devices is '2'",
        ),
    ],
)
def test_bad_executor_settings_are_one_line_at_the_cli(tmp_path, capsys, args, message):
    if "--execution.executor=ray" in args:
        pytest.importorskip("ray")
    err = cli_error(capsys, [*SEARCH, f"--run_dir={tmp_path}", *args])
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "search.sqlite").exists()  # refused before anything was written


class LoaderProcessesDigits(DigitsDataModule):
    """The digits through a ``DataLoader`` with worker processes of its own, as most users' data modules are."""

    def train_dataloader(self) -> DataLoader:
        return DataLoader(TensorDataset(*self.splits["train"]), batch_size=64, shuffle=True, num_workers=1)


def test_workers_train_data_modules_whose_loaders_start_processes(tmp_path):
    trainer = SearchTrainer(**TINY_TRAINER_KWARGS)
    template = PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=4)
    strategy, execution = ProgressiveSearch(max_blocks=1, initial_cells=2), Execution(workers=2, num_cpus=1)
    options = dict(execution=execution, progress=False, tracking=Tracking(mode="disabled"), run_dir=str(tmp_path))
    with torch_threads(1):
        result = trainer.search(template, LoaderProcessesDigits(), strategy, **options)
    assert [record.status for record in result.candidates] == ["ok", "ok"], [r.error for r in result.candidates]


def test_a_job_that_cannot_be_sent_to_workers_is_a_config_error(tmp_path):
    unpicklable = {"optimizer": lambda params: torch.optim.SGD(params, lr=0.1)}
    with pytest.raises(ConfigError, match="cannot be sent to worker processes .* or use workers: 1"):
        tiny_search(tmp_path, model_kwargs=unpicklable, workers=2)
