from __future__ import annotations

import pytest

from pnas.benchmark import make_strategy, run_strategy
from pnas.benchmark.table import TableEvaluator
from pnas.errors import ConfigError
from pnas.search import run_search
from pnas.search.spaces.cell_space import CellSpace
from pnas.search.spaces.nasbench201 import NB201_OPS, NASBench201Space
from pnas.search.strategies.baselines import LocalSearch, RandomSearch, RegularizedEvolution
from pnas.space import Cell
from tests.benchmark.tables import optimum, write_table
from tests.search.objectives import ObjectiveEvaluator, additive_objective, drive
from tests.search.objectives import optimum as cell_optimum

OPS = ("none", "skip_connect", "nor_conv_3x3")  # 729 cells


@pytest.fixture(scope="module")
def evaluator(tmp_path_factory):
    return TableEvaluator(write_table(tmp_path_factory.mktemp("table") / "table.csv", OPS), "val", "test")


def _best(trajectory):
    return max(trajectory)[1]  # report of the best signal


@pytest.mark.parametrize(
    ("name", "budget", "settings"),
    [
        ("random", 729, {}),  # without repeats, a budget the size of the space is exhaustive
        ("rea", 300, {}),
        ("local", 150, {}),
        ("progressive", 100, {"surrogate": "mlp", "beam_size": 5, "batch_size": 20}),
    ],
)
def test_each_strategy_finds_the_optimum_of_a_small_synthetic_table(evaluator, name, budget, settings):
    space = NASBench201Space(OPS)
    for seed in (0, 1):
        trajectory = run_strategy(make_strategy(name, space, budget, seed, **settings), evaluator, budget)
        assert len(trajectory) == budget
        assert _best(trajectory) == pytest.approx(evaluator.test(optimum(OPS)))


def test_random_search_never_repeats_a_cell_and_is_seeded():
    space = NASBench201Space(OPS)

    def cells(seed):
        return drive(RandomSearch(space, budget=50, seed=seed), lambda cell: 0.5)

    assert len(cells(0)) == len(set(cells(0))) == 50
    assert cells(0) == cells(0) != cells(1)


def test_evolution_mutates_tournament_winners_once_the_population_is_full():
    space = NASBench201Space()
    strategy = RegularizedEvolution(space, budget=40, population_size=10, sample_size=10, seed=0)
    for _ in range(40):
        (cell,) = strategy.propose().cells
        if len(strategy.history) >= 10:  # the whole population is the tournament: the child is the best's neighbour
            best = max(strategy.population, key=lambda member: member[1])[0]
            assert cell in space.neighbours(best)
        strategy.observe([cell], [sum(NB201_OPS.index(op) * 5**i for i, op in enumerate(cell.edges)) / 5**6])  # no ties
    assert len(strategy.population) == 10
    assert strategy.propose() is None


@pytest.mark.parametrize("strategy_class", [RandomSearch, RegularizedEvolution, LocalSearch])
def test_baselines_run_on_the_pnas_cell_space_in_the_search_loop(tmp_path, strategy_class):
    strategy = (
        strategy_class(CellSpace(2), budget=12, population_size=4, sample_size=2, seed=0)
        if (strategy_class is RegularizedEvolution)
        else strategy_class(CellSpace(2), budget=12, seed=0)
    )
    result = run_search(strategy, ObjectiveEvaluator(2), tmp_path, progress=False)
    cells = [Cell.from_string(record.cell) for record in result.candidates]
    assert len(cells) == len(set(cells)) == 12
    assert all(cell.num_blocks == 2 for cell in cells)
    assert result.best_value == max(additive_objective(cell, 2) for cell in cells)


def test_local_search_solves_an_additive_objective_on_the_pnas_cell_space():
    strategy = LocalSearch(CellSpace(2), budget=600, seed=0)
    drive(strategy, lambda cell: additive_objective(cell, 2))
    assert max(strategy.history, key=strategy.history.get) == cell_optimum(2)


def test_cell_space_neighbours_differ_in_one_choice():
    cell = Cell.from_string("sep_conv_3x3(c-2) + identity(c-1); max_pool_3x3(b1) + sep_conv_5x5(c-1)")
    neighbours = CellSpace(2).neighbours(cell)
    assert cell not in neighbours and len(neighbours) == len(set(neighbours)) > 30
    for neighbour in neighbours:
        changed = sum(
            a != b
            for x, y in zip(cell.blocks, neighbour.blocks, strict=True)
            for a, b in zip(sorted(map(str, x.as_tuple())), sorted(map(str, y.as_tuple())), strict=True)
        )
        assert 1 <= changed <= 2  # one slot changed (re-canonicalising a block may reorder its halves)


def test_bad_settings_are_config_errors():
    with pytest.raises(ConfigError, match="budget"):
        RandomSearch(budget=0)
    with pytest.raises(ConfigError, match="sample_size"):
        RegularizedEvolution(population_size=3, sample_size=5)
    with pytest.raises(ConfigError, match="unknown strategy"):
        make_strategy("grid", NASBench201Space(), 10, 0)
