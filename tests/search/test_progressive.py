from __future__ import annotations

import math

import numpy as np
import pytest

from pnas.errors import ConfigError
from pnas.search import ProgressiveSearch
from pnas.search.constraints.limits import CellConstraints
from pnas.space import Cell, expand, expand_beam, one_block_cells
from surrogate import rank_correlations
from tests.conftest import random_cell
from tests.search.objectives import additive_objective, drive, optimum


def run_strategy(strategy: ProgressiveSearch, max_blocks: int) -> list[Cell]:
    return drive(strategy, lambda cell: additive_objective(cell, max_blocks))


def test_finds_the_known_optimum_with_far_fewer_evaluations():
    strategy = ProgressiveSearch(max_blocks=3, beam_size=8, surrogate="lstm", seed=0)
    evaluated = run_strategy(strategy, max_blocks=3)
    exhaustive = 136 * 300 * 528  # every distinct 3-block cell: 21,542,400
    assert len(evaluated) == 136 + 8 + 8 == len(set(evaluated))
    assert len(evaluated) < exhaustive / 100_000
    best = max(evaluated, key=lambda cell: additive_objective(cell, 3))
    assert best == optimum(3)


def test_mlp_surrogate_gets_close_to_the_optimum_where_random_sampling_does_not(rng):
    # The MLP averages block embeddings, so a child repeating its parent's block looks like the parent: it gets
    # near the optimum, not always onto it.
    evaluated = run_strategy(ProgressiveSearch(max_blocks=3, beam_size=8, surrogate="mlp", seed=0), max_blocks=3)
    best = max(additive_objective(cell, 3) for cell in evaluated)
    random_best = max(additive_objective(random_cell(rng, 3), 3) for _ in range(len(evaluated)))
    assert best >= 0.95 > random_best


def three_op_table(tmp_path):
    """A NAS-Bench-201 table over three ops, and its space."""
    from pnas.benchmark import TableEvaluator
    from pnas.search import NASBench201Space
    from tests.benchmark.tables import write_table

    ops = ("none", "skip_connect", "nor_conv_3x3")
    return TableEvaluator(write_table(tmp_path / "table.csv", ops), "val", "test"), NASBench201Space(ops)


def test_first_step_trains_every_one_block_cell_or_a_seeded_sample():
    assert ProgressiveSearch(max_blocks=2).propose().cells == one_block_cells()
    first = ProgressiveSearch(max_blocks=2, initial_cells=10, seed=1).propose().cells
    again = ProgressiveSearch(max_blocks=2, initial_cells=10, seed=1).propose().cells
    other = ProgressiveSearch(max_blocks=2, initial_cells=10, seed=2).propose().cells
    assert len(first) == 10 and first == again and first != other


def test_step_2_expands_every_evaluated_one_block_cell_and_trains_the_surrogates_top_k():
    # Algorithm 1: S_1 = every 1-block cell, S'_2 = expand(S_1), S_2 = top-K of S'_2 by the predictor
    strategy = ProgressiveSearch(max_blocks=3, beam_size=4, surrogate="mlp", seed=0)
    first = strategy.propose()
    scores = [additive_objective(cell, 3) for cell in first.cells]
    strategy.observe(first.cells, scores)
    assert sorted(map(str, strategy.beam)) == sorted(map(str, one_block_cells()))

    second = strategy.propose()
    assert second.children_scored == sum(len(expand(cell)) for cell in one_block_cells()) == 136 * 300
    children = expand_beam(strategy.beam)
    predicted, _ = strategy.surrogate.predict([child.to_tokens() for child in children])
    expected = [children[i] for i in np.argsort(-predicted, kind="stable")[:4]]
    assert second.step == 2 and second.cells == expected
    np.testing.assert_allclose(second.predicted, np.sort(predicted)[::-1][:4], rtol=1e-5)

    strategy.observe(second.cells, [additive_objective(cell, 3) for cell in second.cells])
    assert sorted(map(str, strategy.beam)) == sorted(map(str, second.cells))  # S_2 is the next beam
    assert strategy.propose().children_scored == sum(len(expand(cell)) for cell in second.cells)


def test_failed_candidates_stay_out_of_the_beam_and_the_surrogate_data():
    strategy = ProgressiveSearch(max_blocks=2, beam_size=3, surrogate="mlp", initial_cells=6)
    proposal = strategy.propose()
    accuracies = [None, 0.9, None, 0.5, 0.7, 0.1]
    strategy.observe(proposal.cells, accuracies)
    assert strategy.beam == [proposal.cells[1], proposal.cells[4], proposal.cells[3], proposal.cells[5]]
    assert sum(value is None for value in strategy.history.values()) == 2


def test_search_ends_after_max_blocks_steps():
    strategy = ProgressiveSearch(max_blocks=1)
    proposal = strategy.propose()
    strategy.observe(proposal.cells, [0.5] * len(proposal.cells))
    assert strategy.propose() is None


@pytest.mark.parametrize(
    "kwargs", [{"max_blocks": 0}, {"beam_size": 0}, {"initial_cells": 0}, {"surrogate": "gaussian-process"}]
)
def test_bad_settings_raise_config_error(kwargs):
    with pytest.raises(ConfigError):
        ProgressiveSearch(**kwargs)


@pytest.mark.parametrize("kwargs", [{"budget": 0}, {"budget": 5, "batch_size": 0}, {"budget": 5, "beam_size": 0}])
def test_bad_anytime_settings_raise_config_error(kwargs):
    from pnas.search import AnytimeProgressiveSearch

    with pytest.raises(ConfigError, match=">= 1"):
        AnytimeProgressiveSearch(**kwargs)


def test_settings_name_what_decides_the_proposals_but_not_how_far_the_search_goes():
    from pnas.search import AnytimeProgressiveSearch

    two, three = ProgressiveSearch(max_blocks=2).settings(), ProgressiveSearch(max_blocks=3).settings()
    assert two == three and two["beam_size"] == 8 and two["surrogate"] == "lstm"
    small, large = AnytimeProgressiveSearch(10).settings(), AnytimeProgressiveSearch(50).settings()
    assert small == large and small["batch_size"] == 8 and set(ProgressiveSearch().settings()) < set(small)


def test_with_a_budget_the_search_is_anytime_and_never_repeats_an_architecture(tmp_path):
    from pnas.benchmark import TableEvaluator
    from pnas.search import AnytimeProgressiveSearch, NASBench201Space
    from tests.benchmark.tables import write_table

    ops = ("none", "skip_connect", "nor_conv_3x3")
    evaluator = TableEvaluator(write_table(tmp_path / "table.csv", ops), "val", "test")

    def run(budget):
        space = NASBench201Space(ops)
        strategy = AnytimeProgressiveSearch(budget, batch_size=8, mutation_parents=1, space=space, beam_size=3,
                                            surrogate="mlp", seed=0)  # fmt: skip
        return drive(strategy, lambda cell: evaluator.evaluate(cell).accuracy)

    short, long = run(20), run(35)
    assert len(short) == 20 and len(long) == 35 == len(set(long))
    assert long[:20] == short  # a smaller budget is a prefix: one run serves every budget
    assert [cell.level for cell in long[:6]] == [1, 1, 1, 2, 2, 2]  # 3 level-1 cells, then K=3 of level 2
    assert {cell.level for cell in long[6:]} == {3}


def test_max_blocks_must_agree_with_a_given_space():
    from pnas.search import NASBench201Space

    with pytest.raises(ConfigError, match="levels"):
        ProgressiveSearch(max_blocks=4, space=NASBench201Space())
    assert ProgressiveSearch(space=NASBench201Space()).max_blocks == 3


def test_scores_outside_0_1_are_rescaled_for_the_surrogate_and_predictions_come_back_in_their_units():
    strategy = ProgressiveSearch(max_blocks=2, beam_size=4, surrogate="mlp", initial_cells=40, seed=0)
    evaluated = drive(strategy, lambda cell: 10 * additive_objective(cell, 2) - 5)  # e.g. a negated loss
    assert len(evaluated) == 44
    tokens, child_at = strategy.space.encode_children(strategy.beam[:1])
    mean, _ = strategy.predict(tokens)
    assert mean.min() < 0 and -6 < mean.min() <= mean.max() < 6  # in score units, not the surrogate's [0, 1]
    truth = [10 * additive_objective(child_at(row), 2) - 5 for row in range(len(tokens))]
    assert rank_correlations(mean, truth)["kendall_tau"] > 0.3


def test_the_budgeted_search_also_expands_every_evaluated_level_1_cell(tmp_path):
    from pnas.benchmark import TableEvaluator
    from pnas.search import AnytimeProgressiveSearch, NASBench201Space
    from tests.benchmark.tables import write_table

    ops = ("none", "skip_connect", "nor_conv_3x3", "avg_pool_3x3")
    evaluator = TableEvaluator(write_table(tmp_path / "table.csv", ops), "val", "test")
    strategy = AnytimeProgressiveSearch(50, space=NASBench201Space(ops), beam_size=2, surrogate="mlp", seed=0)
    first = strategy.propose()
    strategy.observe(first.cells, [evaluator.evaluate(cell).accuracy for cell in first.cells])
    assert len(first.cells) == 4 and len(strategy.beam) == 4  # every level-1 cell, not the K=2 best
    assert strategy.propose().children_scored == 4 * 4**2  # each has 16 level-2 children


def test_in_pareto_mode_the_neighbours_joining_each_round_are_those_of_the_front(tmp_path):
    from pnas.benchmark.nb201_table import NB201TableCost
    from pnas.benchmark.table import BenchmarkTable
    from pnas.search import AnytimeProgressiveSearch, NASBench201Space
    from pnas.search.constraints.pareto import pareto_front
    from tests.benchmark.tables import write_table

    ops = ("none", "skip_connect", "nor_conv_3x3")
    table = BenchmarkTable(write_table(tmp_path / "table.csv", ops))
    cost = NB201TableCost(table, "params_m")
    space = NASBench201Space(ops)
    pareto = CellConstraints(pareto_cost=("params_m", cost))
    strategy = AnytimeProgressiveSearch(40, batch_size=4, mutation_parents=3, space=space, beam_size=3,
                                        surrogate="mlp", constraints=pareto, seed=0)  # fmt: skip
    drive(strategy, lambda cell: table.value(cell, "val") / 100)
    last = [cell for cell in strategy.history if cell.level == 3]
    points = [(strategy.history[cell], cost.of_cell(cell)) for cell in last]
    front = sorted((last[i] for i in pareto_front(points, (True, False))), key=lambda cell: -strategy.history[cell])
    expected = {n for cell in front[:3] for n in space.neighbours(cell) if n not in strategy.history}
    assert len(front) >= 2 and set(strategy._neighbours_of_best()) == expected


def test_with_neighbours_of_its_best_cells_the_budgeted_search_leaves_a_misleading_beam(tmp_path):
    """Partial cells that rank the optimum's prefixes last confine the last level to a poor region; climbing from
    the best full cells (``mutation_parents``) reaches the optimum anyway."""
    import csv
    import itertools

    from pnas.benchmark import TableEvaluator
    from pnas.search import AnytimeProgressiveSearch, NASBench201Space
    from pnas.search.spaces.nasbench201 import NB201Cell, nb201_level_cells
    from tests.benchmark.tables import optimum, signal

    ops = ("none", "skip_connect", "nor_conv_3x3")
    partial = {cell for level in (1, 2) for cell in nb201_level_cells(level, ops)}
    path = tmp_path / "misleading.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["arch", "val", "test"])
        for edges in itertools.product(ops, repeat=6):
            cell = NB201Cell(edges)
            value = 150.0 - signal(cell) if cell in partial else signal(cell)  # partial cells: the order reversed
            writer.writerow([cell.to_arch(), f"{value:.4f}", f"{value:.4f}"])
    evaluator = TableEvaluator(path, "val", "test")
    best = optimum(ops)

    def found(mutation_parents):
        strategy = AnytimeProgressiveSearch(100, batch_size=10, mutation_parents=mutation_parents, beam_size=3,
                                            space=NASBench201Space(ops), surrogate="mlp", seed=0)  # fmt: skip
        return drive(strategy, lambda cell: evaluator.evaluate(cell).accuracy)

    confined, climbing = found(0), found(1)
    assert best not in confined and best in climbing
    assert {cell.edges[:3] for cell in confined if cell.level == 3} <= {cell.edges[:3] for cell in confined[3:6]}


def test_a_climbing_round_keeps_its_share_for_the_neighbours_of_the_best_full_cell(tmp_path):
    from pnas.search import AnytimeProgressiveSearch

    evaluator, space = three_op_table(tmp_path)
    strategy = AnytimeProgressiveSearch(40, batch_size=4, mutation_parents=1, climb_share=0.5, beam_size=2,
                                        space=space, surrogate="mlp", seed=0)  # fmt: skip
    rounds = []
    while (proposal := strategy.propose()) is not None:
        history = dict(strategy.history)
        strategy.observe(proposal.cells, [evaluator.evaluate(cell).accuracy for cell in proposal.cells])
        rounds.append((proposal, history))
    climbing = [(p, h) for p, h in rounds if p.cells[0].level == 3 and any(c.level == 3 for c in h)]
    assert len(climbing) >= 3
    for proposal, history in climbing:
        # the best full cells that still have unseen neighbours (one whose neighbours are all seen passes its turn)
        open_cells = [c for c in history if c.level == 3 and any(n not in history for n in space.neighbours(c))]
        top = max(history[cell] for cell in open_cells)
        near = {n for cell in open_cells if history[cell] == top for n in space.neighbours(cell)}
        unseen = {cell for cell in near if cell not in history}
        assert sum(cell in unseen for cell in proposal.cells) >= min(2, len(unseen))  # ceil(0.5 * 4), if there are
        assert len(proposal.cells) == len(set(proposal.cells)) == len(proposal.predicted)
    with pytest.raises(ConfigError, match="climb_share"):
        AnytimeProgressiveSearch(10, climb_share=1.5)


def test_at_a_local_optimum_the_climb_restarts_from_random_cells_and_climbs_from_their_best(tmp_path):
    from pnas.search import AnytimeProgressiveSearch

    evaluator, space = three_op_table(tmp_path)
    strategy = AnytimeProgressiveSearch(150, batch_size=4, mutation_parents=1, climb_share=1.0, restart_samples=30,
                                        beam_size=2, space=space, surrogate="mlp", seed=0)  # fmt: skip
    drawn: list[list] = []
    restart_cells = strategy._restart_cells
    strategy._restart_cells = lambda: drawn.append(restart_cells()) or drawn[-1]
    rounds = []
    while (proposal := strategy.propose()) is not None:
        history, restarted = dict(strategy.history), len(drawn)
        strategy.observe(proposal.cells, [evaluator.evaluate(cell).accuracy for cell in proposal.cells])
        rounds.append((proposal.cells, history, restarted))
        if len(rounds) >= 2 and rounds[-2][2]:  # the round after the first restart is in: all that is checked
            break
    first = next(i for i, (_, _, restarted) in enumerate(rounds) if restarted)
    cells, history, _ = rounds[first]
    best = max((cell for cell in history if cell.level == 3), key=history.__getitem__)
    assert all(n in history for n in space.neighbours(best))  # the climb had reached a local optimum
    assert set(cells) <= set(drawn[0]) and not set(cells) & set(history)  # the surrogate's pick of random cells
    start = max(cells, key=lambda cell: strategy.history[cell])
    assert set(rounds[first + 1][0]) <= set(space.neighbours(start))  # the climb goes on from there, not the old best
    assert strategy.settings()["restart_samples"] == 30
    assert "restart_samples" not in AnytimeProgressiveSearch(9).settings()  # earlier searches' fingerprints hold
    for bad in ({"restart_samples": -1, "mutation_parents": 1}, {"restart_samples": 5, "mutation_parents": 0}):
        with pytest.raises(ConfigError, match="restart_samples"):
            AnytimeProgressiveSearch(10, **bad)


def test_in_rounds_of_one_the_climb_moves_after_every_better_cell_and_refits_every_batch(tmp_path):
    from pnas.search import AnytimeProgressiveSearch
    from pnas.search.strategies.scoring import encode

    evaluator, space = three_op_table(tmp_path)
    strategy = AnytimeProgressiveSearch(60, batch_size=4, mutation_parents=1, climb_share=1.0, climb_round=1,
                                        beam_size=2, space=space, surrogate="mlp", seed=0)  # fmt: skip
    fits = []
    fit = strategy.surrogate.fit
    strategy.surrogate.fit = lambda *args, **kwargs: fits.append(len(strategy.history)) or fit(*args, **kwargs)
    climbed = 0
    while True:
        history = dict(strategy.history)
        full = [c for c in history if c.level == 3 and any(n not in history for n in space.neighbours(c))]
        expected = None
        if full:  # the climb: the surrogate's best unseen neighbour of the best full cell with unseen neighbours
            best = max(full, key=history.__getitem__)
            unseen = [n for n in space.neighbours(best) if n not in history]
            mean, _ = strategy.predict(encode(space, unseen), unseen.__getitem__)
            expected = unseen[int(np.argmax(mean))]
        if (proposal := strategy.propose()) is None:
            break
        if expected is not None:
            assert proposal.cells == [expected]
            climbed += 1
        strategy.observe(proposal.cells, [evaluator.evaluate(cell).accuracy for cell in proposal.cells])
    assert len(strategy.history) == 60 and climbed >= 30
    climb_fits = [evaluated for evaluated in fits if evaluated > fits[2]]  # the fits after the first full round
    assert climb_fits and all(later - earlier == 4 for earlier, later in zip(fits[2:], climb_fits, strict=False))
    assert strategy.settings()["climb_round"] == 1
    assert "climb_round" not in AnytimeProgressiveSearch(9).settings()  # earlier searches' fingerprints hold
    with pytest.raises(ConfigError, match="climb_round"):
        AnytimeProgressiveSearch(10, climb_round=0)


def test_with_refit_growth_the_climb_refits_once_the_new_cells_are_that_share_of_the_fitted_ones(tmp_path):
    from pnas.search import AnytimeProgressiveSearch

    evaluator, space = three_op_table(tmp_path)
    settings = {"batch_size": 4, "mutation_parents": 1, "climb_share": 1.0, "climb_round": 1, "refit_growth": 0.5}
    strategy = AnytimeProgressiveSearch(60, **settings, beam_size=2, space=space, surrogate="mlp", seed=0)
    fits = []
    fit = strategy.surrogate.fit
    strategy.surrogate.fit = lambda *args, **kwargs: fits.append(len(strategy.history)) or fit(*args, **kwargs)
    while (proposal := strategy.propose()) is not None:
        strategy.observe(proposal.cells, [evaluator.evaluate(cell).accuracy for cell in proposal.cells])
    assert len(strategy.history) == 60
    climb_fits = [evaluated for evaluated in fits if evaluated > fits[2]]  # the fits after the first full round
    assert len(climb_fits) >= 2
    for earlier, later in zip(fits[2:], climb_fits, strict=False):
        assert later - earlier == max(4, math.ceil(0.5 * earlier))  # a half more each time, never under a batch
    assert strategy.settings()["refit_growth"] == 0.5
    assert "refit_growth" not in AnytimeProgressiveSearch(9).settings()  # earlier searches' fingerprints hold
    with pytest.raises(ConfigError, match="refit_growth"):
        AnytimeProgressiveSearch(10, refit_growth=-0.1)
