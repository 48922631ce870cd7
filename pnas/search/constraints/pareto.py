"""Pareto fronts and hypervolumes of points scored on several objectives, each maximised or minimised.

Conventions: ``points`` is an ``(n, m)`` array, ``maximize`` says for each of the ``m`` columns whether higher is
better. A point dominates another when it is at least as good on every objective and better on one. The
hypervolume is the measure of the region that the front dominates and that dominates the ``reference`` point (the
worst corner, fixed in advance); points that do not dominate the reference add nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "METRIC_AGAINST_COST",
    "crowding_distance",
    "hypervolume",
    "non_dominated_ranks",
    "normalized_hypervolume",
    "pareto_front",
]

#: ``maximize`` of two objectives, a metric (maximised) against a cost (minimised): accuracy against parameters.
METRIC_AGAINST_COST = (True, False)


def _as_minimized(points: np.ndarray | Sequence[Sequence[float]], maximize: Sequence[bool]) -> np.ndarray:
    values = np.asarray(points, dtype=float)
    if values.ndim != 2 or values.shape[1] != len(maximize):
        raise ValueError(f"points must be (n, {len(maximize)}) for {len(maximize)} objectives, got {values.shape}")
    return np.where(np.asarray(maximize, dtype=bool)[None, :], -values, values)


def pareto_front(points: np.ndarray | Sequence[Sequence[float]], maximize: Sequence[bool]) -> np.ndarray:
    """Indices of the non-dominated points, in their input order (equal points are all kept).

    Raises:
        ValueError: ``points`` is not ``(n, len(maximize))``.
    """
    values = _as_minimized(points, maximize)
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    if values.shape[1] == 2:
        unordered = np.isnan(values).any(axis=1)  # NaN compares false: such a point neither dominates nor is dominated
        rows = np.flatnonzero(~unordered)
        return np.sort(np.concatenate([rows[_front_of_two(values[rows])], np.flatnonzero(unordered)]))
    no_worse = (values[:, None, :] <= values[None, :, :]).all(axis=2)  # [i, j]: i is no worse than j everywhere
    better = (values[:, None, :] < values[None, :, :]).any(axis=2)
    dominated = (no_worse & better).any(axis=0)
    return np.flatnonzero(~dominated)


def _front_of_two(values: np.ndarray) -> np.ndarray:
    """:func:`pareto_front` of minimised 2-objective ``values`` without NaN, by one sort (a whole table's front)."""
    first, second = values[:, 0], values[:, 1]
    order = np.lexsort((second, first))  # by the first objective, ties by the second
    first, second = first[order], second[order]
    group_start = np.searchsorted(first, first, side="left")  # where each row's run of equal first values begins
    best_second_before = np.minimum.accumulate(second)[np.maximum(group_start - 1, 0)]
    dominated = ((group_start > 0) & (best_second_before <= second)) | (second[group_start] < second)
    return np.sort(order[~dominated])


def non_dominated_ranks(points: np.ndarray | Sequence[Sequence[float]], maximize: Sequence[bool]) -> np.ndarray:
    """The non-dominated sorting of NSGA-II: 0 for the front, 1 for the front of the rest, and so on.

    Raises:
        ValueError: ``points`` is not ``(n, len(maximize))``.
    """
    values = np.asarray(points, dtype=float)
    ranks = np.full(len(values), -1, dtype=np.int64)
    left = np.arange(len(values))
    rank = 0
    while len(left):
        front = left[pareto_front(values[left], maximize)]
        if not len(front):  # cannot happen for a set of points; a guard against looping forever
            front = left
        ranks[front] = rank
        left = np.setdiff1d(left, front, assume_unique=True)
        rank += 1
    return ranks


def crowding_distance(points: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """NSGA-II's crowding distance of each point among ``points`` (one front): larger means lonelier.

    Per objective, the points at either end get infinity and the others the gap between their neighbours, as a
    share of the objective's range; the distance is the sum over objectives.
    """
    values = np.asarray(points, dtype=float)
    distance = np.zeros(len(values))
    if len(values) <= 2:
        return np.full(len(values), np.inf)
    for column in values.T:
        order = np.argsort(column, kind="stable")
        span = column[order[-1]] - column[order[0]]
        distance[order[[0, -1]]] = np.inf
        if np.isfinite(span) and span > 0:
            distance[order[1:-1]] += (column[order[2:]] - column[order[:-2]]) / span
    return distance


def hypervolume(
    points: np.ndarray | Sequence[Sequence[float]], reference: Sequence[float], maximize: Sequence[bool]
) -> float:
    """The hypervolume the points dominate, bounded by ``reference`` (exact; sweeps the last objective).

    Raises:
        ValueError: ``points`` is not ``(n, len(maximize))`` or ``reference`` has another length.
    """
    if len(reference) != len(maximize):
        raise ValueError(f"reference must have {len(maximize)} values, got {len(reference)}")
    values = _as_minimized(points, maximize)
    corner = _as_minimized([reference], maximize)[0]
    inside = values[(values < corner).all(axis=1)]
    return _volume(inside, corner)


def _volume(values: np.ndarray, corner: np.ndarray) -> float:
    """Hypervolume of minimised ``values`` (all strictly below ``corner``) by slicing along the last objective."""
    if not len(values):
        return 0.0
    if values.shape[1] == 1:
        return float(corner[0] - values[:, 0].min())
    order = np.argsort(values[:, -1], kind="stable")
    values = values[order]
    total = 0.0
    for index in range(len(values)):
        upper = values[index + 1, -1] if index + 1 < len(values) else corner[-1]
        height = upper - values[index, -1]
        if height > 0:
            total += height * _volume(values[: index + 1, :-1], corner[:-1])
    return total


def normalized_hypervolume(
    points: np.ndarray | Sequence[Sequence[float]],
    reference: Sequence[float],
    ideal: Sequence[float],
    maximize: Sequence[bool],
) -> float:
    """:func:`hypervolume` as a share of the box between ``ideal`` (the best corner) and ``reference``: 0 to 1.

    Raises:
        ValueError: A shape is wrong, or ``ideal`` is not better than ``reference`` on every objective.
    """
    best, worst = _as_minimized([ideal], maximize)[0], _as_minimized([reference], maximize)[0]
    if not (best < worst).all():
        raise ValueError(f"ideal {list(ideal)} must be better than reference {list(reference)} on every objective")
    return hypervolume(points, reference, maximize) / float(np.prod(worst - best))
