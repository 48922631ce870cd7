"""NSGA-II over the NAS-Bench-201 space: generations, tournaments of mutations, elitist selection, the budget."""

from __future__ import annotations

import numpy as np
import pytest

from pnas.errors import ConfigError
from pnas.search.constraints.pareto import non_dominated_ranks, pareto_front
from pnas.search.spaces.nasbench201 import NASBench201Space, NB201Cell
from pnas.search.strategies.nsga2 import NSGA2
from pnas.search.strategies.steps import search_steps
from tests.benchmark.tables import signal

SPACE = NASBench201Space(("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3"))


def convs(cell: NB201Cell) -> float:
    """The cost: how many convolutions the cell has (the best cells have the most)."""
    return float(sum(op.startswith("nor_conv") for op in cell.edges))


def accuracy(cell: NB201Cell) -> float:
    return signal(cell) / 100


def test_generation_zero_is_random_and_later_ones_mutate_the_population():
    strategy = NSGA2(SPACE, budget=100, cost=convs, population_size=8, seed=0)
    first = strategy.propose()
    assert len(first.cells) == len(set(first.cells)) == 8
    strategy.observe(first.cells, [accuracy(cell) for cell in first.cells])
    parents = [member[0] for member in strategy.population]
    second = strategy.propose()
    assert len(second.cells) == len(set(second.cells)) == 8 and second.step == 2
    for child in second.cells:
        assert child not in strategy.history
        assert any(sum(a != b for a, b in zip(child.edges, p.edges, strict=True)) == 1 for p in parents)


def test_selection_keeps_the_front_of_parents_and_children():
    strategy = NSGA2(SPACE, budget=100, cost=convs, population_size=6, seed=1)
    for _ in range(4):
        proposal = strategy.propose()
        everything = list(strategy.population) + [(c, accuracy(c), convs(c)) for c in proposal.cells]
        strategy.observe(proposal.cells, [accuracy(cell) for cell in proposal.cells])
        points = np.array([(acc, cost) for _, acc, cost in everything])
        front = {everything[i][0] for i in pareto_front(points, (True, False))}
        kept = {member[0] for member in strategy.population}
        assert len(strategy.population) == 6
        assert front <= kept or kept <= front  # the front survives whole, or fills the population alone
        ranks = non_dominated_ranks(points, (True, False))
        kept_ranks = [rank for (cell, *_), rank in zip(everything, ranks, strict=True) if cell in kept]
        dropped_ranks = [rank for (cell, *_), rank in zip(everything, ranks, strict=True) if cell not in kept]
        assert not dropped_ranks or max(kept_ranks) <= min(dropped_ranks)  # elitism by non-dominated rank


def test_failures_never_join_and_the_budget_cuts_the_last_generation():
    strategy = NSGA2(SPACE, budget=20, cost=convs, population_size=8, seed=2)
    steps = list(search_steps(strategy, lambda p: [None if i % 3 == 0 else accuracy(c) for i, c in enumerate(p.cells)]))
    assert [len(proposal.cells) for proposal, _ in steps] == [8, 8, 4]
    assert len(strategy.history) == 20
    assert all(accuracy is not None for _, accuracy, _ in strategy.population)


def test_the_same_seed_proposes_the_same_cells():
    def cells(seed):
        strategy = NSGA2(SPACE, budget=40, cost=convs, population_size=5, seed=seed)
        return [
            cell
            for proposal, _ in search_steps(strategy, lambda p: [accuracy(c) for c in p.cells])
            for cell in proposal.cells
        ]

    assert cells(3) == cells(3) and cells(3) != cells(4)
    assert len(set(cells(3))) == 40


def test_a_population_too_small_for_tournaments_is_refused():
    with pytest.raises(ConfigError, match="population_size must be >= 2"):
        NSGA2(SPACE, budget=10, cost=convs, population_size=1)


def test_cells_of_unknown_or_infinite_cost_rank_last_and_the_search_goes_on():
    def cost(cell):
        return {0: float("nan"), 1: float("inf")}.get(cell.edges.count("none") % 3, convs(cell))

    strategy = NSGA2(SPACE, budget=60, cost=cost, population_size=6, seed=5)
    steps = list(search_steps(strategy, lambda p: [accuracy(c) for c in p.cells]))
    assert sum(len(proposal.cells) for proposal, _ in steps) == 60 and len(strategy.population) == 6
