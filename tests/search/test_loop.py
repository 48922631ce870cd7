from __future__ import annotations

import csv
import json

import pytest

from pnas.search import ProgressiveSearch, RegularizedEvolution, SearchCallback, run_search
from pnas.search.evaluation.base import Evaluation
from pnas.space import load_genotype
from tests.search.objectives import ObjectiveEvaluator, additive_objective, optimum


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def test_run_search_records_every_candidate_and_step(tmp_path):
    evaluator = ObjectiveEvaluator(max_blocks=2)
    strategy = ProgressiveSearch(max_blocks=2, beam_size=5, surrogate="mlp", initial_cells=30)
    result = run_search(strategy, evaluator, tmp_path / "run", config={"note": "x"}, progress=False)

    rows = read_csv(tmp_path / "run/candidates.csv")
    assert len(rows) == 35 == len(result.candidates) == len(evaluator.calls)
    assert list(rows[0]) == [
        "step",
        "cell",
        "predicted_value",
        "value",
        "parameters",
        "train_seconds",
        "status",
        "error",
    ]
    assert {row["step"] for row in rows} == {"1", "2"}
    assert all(row["predicted_value"] == "" for row in rows if row["step"] == "1")
    assert all(0 < float(row["predicted_value"]) < 1 for row in rows if row["step"] == "2")

    steps = read_csv(tmp_path / "run/steps.csv")
    assert [s["children_scored"] for s in steps] == ["0", str(30 * 300)]  # every evaluated 1-block cell expanded
    assert steps[0]["spearman"] == "" and -1 <= float(steps[1]["spearman"]) <= 1

    best = load_genotype(tmp_path / "run/best_genotype.json")
    assert best == result.best_cell and result.best_value == additive_objective(best, 2)
    summary = json.loads((tmp_path / "run/result.json").read_text())
    assert summary["candidates"] == 35 and summary["test_value"] == result.test_value == result.best_value - 0.01
    assert (tmp_path / "run/config.yaml").read_text() == "note: x\n"


class DeeperIsWorse(ObjectiveEvaluator):
    """2-block cells score below every 1-block cell: the best cell overall is not the answer."""

    def evaluate(self, cell):
        evaluation = super().evaluate(cell)
        return Evaluation(evaluation.accuracy - 0.5 * (cell.num_blocks - 1), parameters=evaluation.parameters)


def test_the_answer_is_the_best_cell_of_the_last_step_and_the_best_overall_is_recorded_beside_it(tmp_path):
    strategy = ProgressiveSearch(max_blocks=2, beam_size=4, surrogate="mlp", initial_cells=10)
    result = run_search(strategy, DeeperIsWorse(max_blocks=2), tmp_path, progress=False)
    last = [record for record in result.candidates if record.step == 2]
    assert result.best_cell.num_blocks == 2 and result.best_value == max(record.value for record in last)
    assert result.best_overall_cell.num_blocks == 1
    assert result.best_overall_value == max(record.value for record in result.candidates) > result.best_value
    summary = json.loads((tmp_path / "result.json").read_text())
    assert summary["best_cell"] == str(result.best_cell) and summary["best_overall_cell"] == str(
        result.best_overall_cell
    )
    assert load_genotype(tmp_path / "best_genotype.json") == result.best_cell
    assert result.steps[-1].best_cell == str(result.best_cell)


def test_failed_candidate_is_recorded_and_the_search_goes_on(tmp_path):
    doomed = optimum(1)
    evaluator = ObjectiveEvaluator(max_blocks=2, failing={doomed})
    result = run_search(
        ProgressiveSearch(max_blocks=2, beam_size=4, surrogate="mlp"), evaluator, tmp_path, progress=False
    )
    failed = [record for record in result.candidates if record.status == "failed"]
    assert [record.cell for record in failed] == [doomed.to_string()]
    assert failed[0].value is None and failed[0].error == "RuntimeError: CUDA out of memory (simulated)"
    assert len(result.candidates) == 136 + 4 and result.steps[0].failed == 1
    assert result.best_cell is not None and result.best_cell.num_blocks == 2


def test_another_strategy_in_the_same_run_dir_is_refused(tmp_path):
    from pnas.errors import ConfigError
    from pnas.search import RandomSearch
    from pnas.search.spaces.cell_space import CellSpace

    run_search(RandomSearch(CellSpace(2), budget=3), ObjectiveEvaluator(2), tmp_path, progress=False)
    with pytest.raises(ConfigError, match=r"strategy\.class: 'RandomSearch' -> 'RegularizedEvolution'"):
        run_search(RegularizedEvolution(CellSpace(2), budget=3), ObjectiveEvaluator(2), tmp_path, progress=False)


class ReversedEvaluator(ObjectiveEvaluator):
    """Finishes a batch's cells last to first, as parallel workers may."""

    def evaluate_all(self, cells):
        for index in reversed(range(len(cells))):
            yield index, self.evaluate(cells[index])


class ArrivalOrder(SearchCallback):
    def __init__(self):
        self.cells = []

    def on_candidate_end(self, search, record, history):
        self.cells.append(record.cell)


def test_results_are_recorded_as_they_arrive_and_observed_in_proposal_order(tmp_path):
    arrivals, evaluator = ArrivalOrder(), ReversedEvaluator(max_blocks=2)
    strategy = ProgressiveSearch(max_blocks=2, beam_size=4, surrogate="mlp", initial_cells=6)
    first_step = ProgressiveSearch(max_blocks=2, initial_cells=6).propose().cells
    result = run_search(strategy, evaluator, tmp_path, progress=False, callbacks=[arrivals])
    assert arrivals.cells[:6] == [str(cell) for cell in reversed(first_step)]  # recorded as each arrived
    assert arrivals.cells == [record.cell for record in result.candidates]
    assert [row["cell"] for row in read_csv(tmp_path / "candidates.csv")] == arrivals.cells
    assert strategy.history == {cell: additive_objective(cell, 2) for cell in evaluator.calls}  # each its own score
    assert len(result.candidates) == 10 and result.best_value == max(strategy.history.values())
