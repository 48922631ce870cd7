"""The multi-objective benchmark's measure: the hypervolume of each run's front after every evaluation.

A run's front is chosen as its search saw it: the non-dominated cells in (signal, cost), the signal maximised and
the cost minimised. The front is then measured in (report, cost) space: the hypervolume of its cells' report and
cost entries, as a share of the table's box (from the worst report and the largest cost to the best report and
the smallest cost), so it lies between 0 and 1 and the table's own front has the largest one possible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pnas.benchmark.nb201_table import NB201TableCost
from pnas.benchmark.table import TableEvaluator
from pnas.errors import ConfigError
from pnas.search.constraints.pareto import METRIC_AGAINST_COST, normalized_hypervolume, pareto_front

__all__ = ["ParetoBox", "front_hypervolume_so_far"]


@dataclass(frozen=True)
class ParetoBox:
    """The corners that normalise hypervolumes in (report, cost) space, fixed by the table before any run.

    Attributes:
        reference: ``(worst report, largest cost)``: the corner every measured point must beat.
        ideal: ``(best report, smallest cost)``.
    """

    reference: tuple[float, float]
    ideal: tuple[float, float]

    @classmethod
    def of_table(cls, evaluator: TableEvaluator, cost: NB201TableCost) -> ParetoBox:
        """The box of every entry of the evaluator's report column (as fractions) and of the cost column.

        Raises:
            ConfigError: A column has the same entry everywhere, so the box is empty.
        """
        worst, best = evaluator.report_range
        for name, low, high in ((evaluator.report, worst, best), (cost.name, cost.minimum, cost.maximum)):
            if not low < high:
                raise ConfigError(
                    f"column {name} of {evaluator.table.path} holds one value throughout, so no front can be "
                    "measured against it; choose a column that varies"
                )
        return cls((worst, cost.maximum), (best, cost.minimum))

    def hypervolume(self, points: np.ndarray) -> float:
        """The normalised hypervolume of ``(report, cost)`` points: 0 to 1."""
        return normalized_hypervolume(points, self.reference, self.ideal, METRIC_AGAINST_COST)

    def table_optimum(self, evaluator: TableEvaluator, cost: NB201TableCost) -> float:
        """The hypervolume of the table's own front in (report, cost) space: what an oracle would reach."""
        scale = evaluator.report_scale
        points = np.stack([evaluator.table.column(evaluator.report) / scale, evaluator.table.column(cost.name)], 1)
        points = points[~np.isnan(points).any(axis=1)]
        return self.hypervolume(points[pareto_front(points, METRIC_AGAINST_COST)])


def front_hypervolume_so_far(trajectory: Sequence[tuple[float, ...]], length: int, box: ParetoBox) -> np.ndarray:
    """After each of the first ``length`` evaluations, the normalised hypervolume of the run's front so far.

    ``trajectory`` holds ``(signal, report, ..., cost)`` per evaluation (the cost last); the front is the
    non-dominated cells by (signal, cost), measured by their (report, cost). A failed evaluation (NaN) joins no
    front; a trajectory shorter than ``length`` holds its final value.
    """
    values = np.zeros(length)
    signal_cost: list[tuple[float, float]] = []
    report_cost: list[tuple[float, float]] = []
    current = 0.0
    for i in range(length):
        if i < len(trajectory):
            signal, report, cost = trajectory[i][0], trajectory[i][1], trajectory[i][-1]
            if not np.isnan([signal, report, cost]).any():
                signal_cost.append((signal, cost))
                report_cost.append((report, cost))
                front = pareto_front(signal_cost, METRIC_AGAINST_COST)
                if front[-1] == len(signal_cost) - 1:  # the new cell is on the front: it changed
                    current = box.hypervolume(np.asarray(report_cost)[front])
        values[i] = current
    return values
