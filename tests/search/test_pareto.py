"""Pareto fronts and hypervolumes against cases computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnas.search.constraints.pareto import (
    crowding_distance,
    hypervolume,
    non_dominated_ranks,
    normalized_hypervolume,
    pareto_front,
)

ACC_PARAMS = (True, False)  # maximise accuracy, minimise parameters
POINTS = [(0.9, 10.0), (0.8, 5.0), (0.7, 8.0)]  # the third is dominated by the second


def test_front_of_accuracy_against_parameters():
    assert pareto_front(POINTS, ACC_PARAMS).tolist() == [0, 1]
    assert pareto_front([(0.8, 5.0), (0.8, 5.0), (0.8, 6.0)], ACC_PARAMS).tolist() == [0, 1]  # equal ones both stay
    assert pareto_front(np.zeros((0, 2)), ACC_PARAMS).tolist() == []


def test_two_objective_hypervolume_by_hand():
    # A: 0.4 x 10 = 4.0; B: 0.3 x 15 = 4.5; their overlap 0.3 x 10 = 3.0: 5.5 (C lies inside B's box)
    assert hypervolume(POINTS, (0.5, 20.0), ACC_PARAMS) == pytest.approx(5.5)
    assert normalized_hypervolume(POINTS, (0.5, 20.0), (1.0, 0.0), ACC_PARAMS) == pytest.approx(5.5 / 10.0)
    assert hypervolume([(0.4, 1.0), (0.9, 25.0)], (0.5, 20.0), ACC_PARAMS) == 0.0  # neither beats the reference
    assert hypervolume(np.zeros((0, 2)), (0.5, 20.0), ACC_PARAMS) == 0.0


def test_three_objective_hypervolume_by_hand():
    minimize = (False, False, False)
    # boxes 1 x 1 x 0.5 and 0.5 x 0.5 x 1 overlapping in 0.5 x 0.5 x 0.5: 0.5 + 0.25 - 0.125
    assert hypervolume([(0, 0, 0.5), (0.5, 0.5, 0)], (1, 1, 1), minimize) == pytest.approx(0.625)


def test_bad_shapes_and_corners_are_refused():
    with pytest.raises(ValueError, match="points must be"):
        pareto_front([(1.0, 2.0, 3.0)], ACC_PARAMS)
    with pytest.raises(ValueError, match="reference must have 2"):
        hypervolume(POINTS, (0.5,), ACC_PARAMS)
    with pytest.raises(ValueError, match="must be better than reference"):
        normalized_hypervolume(POINTS, (0.5, 20.0), (0.4, 0.0), ACC_PARAMS)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=12))
def test_the_front_alone_has_the_whole_hypervolume_and_no_front_point_is_dominated(points):
    front = pareto_front(points, ACC_PARAMS)
    values = np.array(points)
    assert hypervolume(values[front], (0.0, 1.0), ACC_PARAMS) == pytest.approx(
        hypervolume(values, (0.0, 1.0), ACC_PARAMS)
    )
    for i in front:
        for j in range(len(points)):
            dominates = (
                values[j, 0] >= values[i, 0] and values[j, 1] <= values[i, 1] and tuple(values[j]) != tuple(values[i])
            )
            assert not dominates


def test_two_objective_fronts_with_ties_in_either_objective():
    # equal accuracy: the cheaper wins; equal cost: the more accurate wins; equal points both stay
    points = [(0.8, 5.0), (0.8, 6.0), (0.9, 5.0), (0.9, 5.0), (0.95, 9.0), (0.7, 1.0), (0.7, 1.0), (0.6, 1.0)]
    assert pareto_front(points, ACC_PARAMS).tolist() == [2, 3, 4, 5, 6]
    assert pareto_front([(1.0, 1.0)], ACC_PARAMS).tolist() == [0]


VALUES = st.one_of(st.integers(0, 3).map(float), st.sampled_from([np.inf, -np.inf, np.nan]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(VALUES, VALUES), min_size=1, max_size=15), st.tuples(st.booleans(), st.booleans()))
def test_the_two_objective_sweep_agrees_with_pairwise_dominance(points, maximize):
    values = np.where(np.array(maximize)[None, :], -np.array(points, dtype=float), np.array(points, dtype=float))
    dominated = [
        any((values[j] <= values[i]).all() and (values[j] < values[i]).any() for j in range(len(points)))
        for i in range(len(points))
    ]  # a NaN compares false: it neither dominates nor is dominated
    assert pareto_front(points, maximize).tolist() == [i for i, d in enumerate(dominated) if not d]
    ranks = non_dominated_ranks(points, maximize)
    assert (ranks >= 0).all() and set(np.flatnonzero(ranks == 0)) == set(pareto_front(points, maximize).tolist())


def test_non_dominated_ranks_peel_fronts_one_after_another():
    points = [(0.9, 10.0), (0.8, 5.0), (0.7, 8.0), (0.6, 9.0), (0.85, 5.0)]
    # front 0: (0.9, 10) and (0.85, 5); then (0.8, 5); then (0.7, 8); then (0.6, 9)
    assert non_dominated_ranks(points, ACC_PARAMS).tolist() == [0, 1, 2, 3, 0]
    assert non_dominated_ranks(np.zeros((0, 2)), ACC_PARAMS).tolist() == []


def test_crowding_distance_by_hand():
    # per objective the ends are infinite; inner points get the gap between neighbours over the range
    assert crowding_distance([(0, 0), (1, 1), (3, 3), (4, 4)]).tolist() == [np.inf, 1.5, 1.5, np.inf]
    assert crowding_distance([(0, 4), (1, 3), (4, 0)]).tolist() == [np.inf, 2.0, np.inf]
    assert crowding_distance([(0, 1), (1, 0)]).tolist() == [np.inf, np.inf]
    assert crowding_distance([(0, 1), (0, 2), (0, 3)])[1] == pytest.approx(1.0)  # a constant objective adds nothing
