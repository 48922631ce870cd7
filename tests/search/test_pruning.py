"""Pruning: candidates stopped early are recorded as pruned, never fed to the strategy, and rungs survive a resume."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import pytest

from pnas.data import DigitsDataModule
from pnas.errors import ConfigError
from pnas.module import PNASModule
from pnas.search import ProgressiveSearch
from pnas.search.callbacks.base import SearchCallback
from pnas.search.evaluation.candidates import CandidateFactory
from pnas.search.evaluation.pruning import MedianPruning, SuccessiveHalving, create_pruner
from pnas.search.evaluation.training import CandidateJob, CandidateTraining
from pnas.space import Cell
from tests.conftest import TINY_TRAINER_KWARGS, tiny_search

THREE_EPOCHS = {"max_epochs": 3}
CELL = Cell.from_string("sep_conv_3x3(c-1) + max_pool_3x3(c-2)")


def rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "candidates.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def curves(run_dir: Path) -> dict[str, list[float]]:
    """Each candidate's ``val/acc`` after every epoch, from the store."""
    import sqlite3

    with sqlite3.connect(run_dir / "search.sqlite") as connection:
        stored = connection.execute("SELECT cell, history FROM candidates").fetchall()
    return {cell: json.loads(history)["val/acc"] for cell, history in stored}


def test_successive_halving_rungs_grow_by_the_reduction_up_to_max_epochs():
    assert SuccessiveHalving().rungs(20) == [1, 3, 9]
    assert SuccessiveHalving(min_epochs=2, reduction=2).rungs(8) == [2, 4]
    assert SuccessiveHalving().rungs(1) == []
    with pytest.raises(ConfigError, match="reduction >= 2"):
        SuccessiveHalving(reduction=1)
    with pytest.raises(ConfigError, match="pruner must be one of none, median, successive_halving"):
        create_pruner("hyperband")


def test_median_bars_are_the_median_of_finished_curves_once_enough_reached_the_epoch():
    pruner = MedianPruning(min_finished=3)
    pruner.finished = [[0.1, 0.2, 0.3], [0.2, 0.4, 0.5], [0.3, 0.6], [0.9]]
    assert pruner.bars(3) == {1: 0.25, 2: 0.4}  # epoch 3 is the last: never a bar


def test_each_search_prunes_with_a_fresh_copy_of_the_pruner_it_is_given():
    used = MedianPruning(min_finished=3, prune_last_step=True)
    used.finished = [[0.1, 0.2, 0.3], [0.2, 0.4, 0.5], [0.3, 0.6]]  # what an earlier search finished
    fresh = create_pruner(used)
    assert fresh is not used and fresh.finished == [] and fresh.bars(3) == {}
    assert fresh.settings() == used.settings() and len(used.finished) == 3
    halving = SuccessiveHalving(min_epochs=2, reduction=2)
    assert create_pruner(halving) is not halving and create_pruner(halving).settings() == halving.settings()


def test_a_rung_hands_back_its_state_and_the_next_job_continues_the_schedule():
    kwargs = {**TINY_TRAINER_KWARGS, "max_epochs": 3, "enable_checkpointing": False, "num_sanity_val_steps": 0}
    factory = CandidateFactory(PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=4))
    training = CandidateTraining(factory, DigitsDataModule(), kwargs, [], "val/acc", seed=0, verbose=False)
    rung = training.train(CandidateJob(CELL, stop_after=1))
    assert rung.evaluation.status == "ok" and rung.state_dict is None and rung.checkpoint
    assert len(rung.evaluation.history["val/acc"]) == 1
    resumed = CandidateJob(CELL, resume=rung.checkpoint, history=rung.evaluation.history)
    finished = training.train(resumed)
    assert finished.evaluation.status == "ok" and finished.state_dict is not None and finished.checkpoint is None
    curve = finished.evaluation.history["val/acc"]
    assert len(curve) == 3 and curve[0] == rung.evaluation.history["val/acc"][0]
    assert finished.evaluation.accuracy == curve[-1]
    never = training.train(CandidateJob(CELL, bars={1: 2.0}))  # an accuracy of 2 is out of reach
    assert never.evaluation.status == "pruned" and never.state_dict is None
    assert len(never.evaluation.history["val/acc"]) == 1 and never.evaluation.accuracy is not None


@pytest.mark.parametrize("prune_last_step", [False, True])
def test_successive_halving_keeps_the_best_third_of_each_step_and_the_strategy_sees_only_finished_ones(
    tmp_path, monkeypatch, prune_last_step
):
    observed = {}
    observe = ProgressiveSearch.observe

    def recorded(self, cells, accuracies):
        observed.update({str(cell): accuracy for cell, accuracy in zip(cells, accuracies, strict=True)})
        observe(self, cells, accuracies)

    monkeypatch.setattr(ProgressiveSearch, "observe", recorded)
    pruner = SuccessiveHalving(prune_last_step=prune_last_step)
    result = tiny_search(tmp_path, THREE_EPOCHS, pruner=pruner, initial_cells=6, beam_size=4)
    records, values = rows(tmp_path), curves(tmp_path)
    last_step = [row["status"] for row in records if row["step"] == "2"]
    if not prune_last_step:  # the last step, where the answer comes from, trains in full
        assert last_step and set(last_step) == {"ok"}
    for step in ("1", "2") if prune_last_step else ("1",):
        statuses = [row["status"] for row in records if row["step"] == step]
        ok = statuses.count("ok")
        assert ok == -(-len(statuses) // 3) and statuses.count("pruned") == len(statuses) - ok
        at_rung = sorted(values[row["cell"]][0] for row in records if row["step"] == step)
        kept = [values[row["cell"]][0] for row in records if row["step"] == step and row["status"] == "ok"]
        assert min(kept) >= at_rung[-ok - 1]  # none pruned above one kept
    for row in records:
        assert len(values[row["cell"]]) == (3 if row["status"] == "ok" else 1)
        assert float(row["value"]) == pytest.approx(values[row["cell"]][-1], rel=1e-5)
        assert (observed[row["cell"]] is None) == (row["status"] == "pruned")
    finished = {row["cell"] for row in records if row["status"] == "ok"}
    expanded = {row["cell"].split("; ")[0] for row in records if row["step"] == "2"}
    assert expanded <= finished  # the next level grows from finished cells only
    summary = json.loads((tmp_path / "result.json").read_text())
    assert summary["pruned"] == sum(row["status"] == "pruned" for row in records) and summary["failed"] == 0
    assert result.best_cell is not None and str(result.best_cell) in finished
    assert not any((tmp_path / "rungs").iterdir())  # every state between rungs is gone once its cell is stored


def test_a_search_interrupted_between_rungs_resumes_them_and_ends_as_an_uninterrupted_one(tmp_path, monkeypatch):
    settings = dict(pruner="successive_halving", initial_cells=6, beam_size=4)
    tiny_search(tmp_path / "whole", THREE_EPOCHS, **settings)

    class StopAtFirstPruned(SearchCallback):
        def on_candidate_end(self, search, record, history):
            if record.status == "pruned":
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        tiny_search(tmp_path / "cut", THREE_EPOCHS, callbacks=[StopAtFirstPruned()], **settings)
    stored = {row["cell"] for row in rows(tmp_path / "cut")}
    states = {json.loads(path.read_text())["cell"] for path in (tmp_path / "cut" / "rungs").glob("*.json")}
    kept = states - stored
    assert len(stored) == 1 and len(kept) == 5  # the first pruned cell is stored; the step's 5 others wait

    jobs = []
    train = CandidateTraining.train
    monkeypatch.setattr(CandidateTraining, "train", lambda self, job, stop=None: jobs.append(job) or train(self, job))
    tiny_search(tmp_path / "cut", THREE_EPOCHS, **settings)
    first_step = [job for job in jobs if isinstance(job, CandidateJob) and str(job.cell) in kept]
    assert first_step and all(job.resume is not None and job.stop_after is None for job in first_step)
    assert len(first_step) == 2  # only the two kept at the rung train on, from their states
    whole, cut = rows(tmp_path / "whole"), rows(tmp_path / "cut")
    assert [(r["cell"], r["status"], r["value"]) for r in sorted(whole, key=lambda r: r["cell"])] == [
        (r["cell"], r["status"], r["value"]) for r in sorted(cut, key=lambda r: r["cell"])
    ]
    assert not any((tmp_path / "cut" / "rungs").iterdir())


def test_median_pruning_stops_later_candidates_below_the_median_of_the_finished_ones(tmp_path):
    pruner = MedianPruning(min_finished=3, prune_last_step=True)
    tiny_search(tmp_path, THREE_EPOCHS, pruner=pruner, initial_cells=6, beam_size=4)
    records, values = rows(tmp_path), curves(tmp_path)
    first = [values[row["cell"]] for row in records if row["step"] == "1"]
    assert all(row["status"] == "ok" for row in records if row["step"] == "1")  # no finished ones before them
    bars = {epoch: statistics.median(curve[epoch - 1] for curve in first) for epoch in (1, 2)}
    for row in (row for row in records if row["step"] == "2"):
        curve = values[row["cell"]]
        if row["status"] == "pruned":
            assert len(curve) < 3 and curve[-1] < bars[len(curve)]
        else:
            assert row["status"] == "ok" and all(curve[epoch - 1] >= bars[epoch] for epoch in (1, 2))


def test_a_pruner_needs_validation_after_every_epoch(tmp_path):
    with pytest.raises(ConfigError, match="check_val_every_n_epoch"):
        tiny_search(tmp_path, {"max_epochs": 3, "check_val_every_n_epoch": 2}, pruner="median")


def test_a_resumed_search_refuses_another_pruner(tmp_path):
    tiny_search(tmp_path, THREE_EPOCHS, pruner="successive_halving", max_blocks=1)
    with pytest.raises(ConfigError, match="pruner"):
        tiny_search(tmp_path, THREE_EPOCHS, pruner="median", max_blocks=1)


PRUNED_SEARCH = ["--pruner=successive_halving", "--trainer.max_epochs=3"]


@pytest.fixture(scope="module")
def pruned_in_one_process(tmp_path_factory) -> list:
    """A CLI search with successive halving, every candidate in this process on one thread: its stored results."""
    from pnas.cli import main
    from tests.search.cli_searches import SEARCH, stored_candidates
    from tests.search.test_workers import torch_threads

    run_dir = tmp_path_factory.mktemp("pruned")
    with torch_threads(1):
        main([*SEARCH, *PRUNED_SEARCH, f"--run_dir={run_dir}"])
    return sorted(stored_candidates(run_dir))


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_successive_halving_with_two_workers_prunes_as_one_process_does(tmp_path, executor, pruned_in_one_process):
    from pnas.cli import main
    from tests.search.cli_searches import SEARCH, stored_candidates
    from tests.search.test_workers import WORKERS, torch_threads

    ray = pytest.importorskip("ray") if executor == "ray" else None
    if ray is not None:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        with torch_threads(1):
            main([*SEARCH, *PRUNED_SEARCH, *WORKERS, f"--execution.executor={executor}", f"--run_dir={tmp_path}"])
    finally:
        if ray is not None:
            ray.shutdown()
    assert sorted(stored_candidates(tmp_path)) == pruned_in_one_process and len(pruned_in_one_process) == 8
    statuses = [row["status"] for row in rows(tmp_path)]
    assert statuses.count("pruned") == 3  # 5 cells keep 2; the last step's 3 children train in full


@pytest.mark.parametrize("pruner", [MedianPruning(), SuccessiveHalving()])
def test_the_last_step_trains_in_full_unless_the_pruner_prunes_it_too(pruner):
    assert pruner.for_step(last_step=False) is pruner
    assert pruner.for_step(last_step=True).name == "none"
    pruner.prune_last_step = True
    assert pruner.for_step(last_step=True) is pruner and pruner.settings()["prune_last_step"] is True
