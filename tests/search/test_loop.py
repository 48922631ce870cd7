from __future__ import annotations

import csv
import json

from pnas.search import ProgressiveSearch, run_search
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
        "predicted_acc",
        "val_acc",
        "parameters",
        "train_seconds",
        "status",
        "error",
    ]
    assert {row["step"] for row in rows} == {"1", "2"}
    assert all(row["predicted_acc"] == "" for row in rows if row["step"] == "1")
    assert all(0 < float(row["predicted_acc"]) < 1 for row in rows if row["step"] == "2")

    steps = read_csv(tmp_path / "run/steps.csv")
    assert [s["children_scored"] for s in steps] == ["0", str(5 * 300)]
    assert steps[0]["spearman"] == "" and -1 <= float(steps[1]["spearman"]) <= 1

    best = load_genotype(tmp_path / "run/best_genotype.json")
    assert best == result.best_cell and result.best_val_acc == additive_objective(best, 2)
    summary = json.loads((tmp_path / "run/result.json").read_text())
    assert summary["candidates"] == 35 and summary["test_acc"] == result.test_acc == result.best_val_acc - 0.01
    assert (tmp_path / "run/config.yaml").read_text() == "note: x\n"


def test_failed_candidate_is_recorded_and_the_search_goes_on(tmp_path):
    doomed = optimum(1)
    evaluator = ObjectiveEvaluator(max_blocks=2, failing={doomed})
    result = run_search(
        ProgressiveSearch(max_blocks=2, beam_size=4, surrogate="mlp"), evaluator, tmp_path, progress=False
    )
    failed = [record for record in result.candidates if record.status == "failed"]
    assert [record.cell for record in failed] == [doomed.to_string()]
    assert failed[0].val_acc is None and failed[0].error == "RuntimeError: CUDA out of memory (simulated)"
    assert len(result.candidates) == 136 + 4 and result.steps[0].failed == 1
    assert result.best_cell is not None and result.best_cell.num_blocks == 2
