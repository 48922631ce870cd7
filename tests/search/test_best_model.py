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
    assert reloaded.best.key[:2] == (2, 0.1) and reloaded.weights[str(larger)]["w"].tolist() == [4.0, 4.0]


def test_results_without_weights_or_value_are_not_kept(tmp_path):
    best = BestModelExport(ObjectiveEvaluator(max_blocks=2), tmp_path / "best_candidate.pt")
    cell = one_block_cells()[0]
    best.on_candidate_trained(SearchResult(None, None, None), cell, Evaluation(0.9))
    best.on_candidate_trained(SearchResult(None, None, None), cell, Evaluation(None, status="failed"))
    assert best.weights == {} and not (tmp_path / "best_candidate.pt").exists()


def test_the_best_is_the_highest_level_then_the_better_value_then_the_earlier_proposal():
    from pnas.search.run.best import BestSoFar

    best = BestSoFar("max")
    assert best.offer(0.9, (1, 0), level=1) and best.order(0.1, level=2) == 1  # more blocks beat any value
    assert best.offer(0.1, (2, 3), level=2) and not best.offer(0.99, (2, 0), level=1)
    assert not best.offer(0.1, (2, 5), level=2) and best.offer(0.1, (2, 1), level=2)  # a tie: the earlier rank
    assert best.key == (2, 0.1, (2, 1)) and best.order(0.1, level=2) == 0 and best.order(0.05, level=2) == -1
    lowest = BestSoFar("min")  # a loss: lower is better
    assert lowest.offer(0.5) and lowest.offer(0.2) and not lowest.offer(0.3) and lowest.key[1] == 0.2
