"""One owner of the best model: BestModelExport keeps the best candidates' weights as they train, on disk too."""

from __future__ import annotations

import torch

from pnas.search.callbacks.best_model import BestModelExport
from pnas.search.evaluation.base import Evaluation
from pnas.search.run.records import SearchResult
from pnas.space import one_block_cells
from pnas.space.expansion import expand
from tests.search.objectives import ObjectiveEvaluator


def trained(value: float, marker: float) -> Evaluation:
    return Evaluation(value, weights={"w": torch.full((2,), marker)})


def test_the_best_candidates_weights_are_kept_ties_too_and_a_larger_cell_starts_afresh(tmp_path):
    path, search = tmp_path / "best_candidate.pt", SearchResult(None, None, None, run_dir=tmp_path)
    best = BestModelExport(ObjectiveEvaluator(max_blocks=2), path)
    a, b, c = one_block_cells()[:3]
    best.on_candidate_trained(search, a, trained(0.5, 1.0))
    best.on_candidate_trained(search, b, trained(0.4, 2.0))  # worse: not kept
    best.on_candidate_trained(search, c, trained(0.5, 3.0))  # tied: kept, the search decides between them
    assert sorted(best.weights) == sorted([str(a), str(c)])
    larger = expand(a)[0]
    best.on_candidate_trained(search, larger, trained(0.1, 4.0))  # more blocks: the answer's level
    assert list(best.weights) == [str(larger)]
    reloaded = BestModelExport(ObjectiveEvaluator(max_blocks=2), path)  # as a resumed search finds it
    assert reloaded.best == (2, 0.1) and reloaded.weights[str(larger)]["w"].tolist() == [4.0, 4.0]


def test_results_without_weights_or_value_are_not_kept(tmp_path):
    best = BestModelExport(ObjectiveEvaluator(max_blocks=2), tmp_path / "best_candidate.pt")
    cell = one_block_cells()[0]
    best.on_candidate_trained(SearchResult(None, None, None), cell, Evaluation(0.9))
    best.on_candidate_trained(SearchResult(None, None, None), cell, Evaluation(None, status="failed"))
    assert best.weights == {} and not (tmp_path / "best_candidate.pt").exists()
