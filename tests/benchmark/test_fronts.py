"""The multi-objective benchmark's measure, by hand: fronts chosen by the signal, measured by the report."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pnas.benchmark.fronts import ParetoBox, front_hypervolume_so_far
from pnas.benchmark.nb201_table import NB201TableCost
from pnas.benchmark.table import BenchmarkTable, TableEvaluator
from pnas.search.constraints.pareto import hypervolume
from tests.benchmark.tables import write_table

NAN = math.nan


def test_the_front_is_chosen_by_the_signal_and_measured_by_the_report():
    box = ParetoBox(reference=(0.0, 10.0), ideal=(1.0, 0.0))  # a box of area 10
    trajectory = [  # (signal, report, seconds, cost)
        (0.5, 0.6, 0.1, 5.0),  # front {1}: 0.6 x 5 = 3
        (0.4, 0.9, 0.2, 6.0),  # dominated by the first in (signal, cost): its high report does not count
        (NAN, NAN, 0.3, 2.0),  # failed
        (0.7, 0.8, 0.4, 8.0),  # joins: 0.6 x 5 + (0.8 - 0.6) x 2 = 3.4
        (0.9, 0.7, 0.5, 1.0),  # dominates both: 0.7 x 9 = 6.3
    ]
    values = front_hypervolume_so_far(trajectory, 7, box)
    assert values == pytest.approx([0.3, 0.3, 0.3, 0.34, 0.63, 0.63, 0.63])
    assert front_hypervolume_so_far([], 2, box).tolist() == [0.0, 0.0]


def test_the_box_spans_the_table_and_its_own_front_has_the_largest_hypervolume(tmp_path):
    table = BenchmarkTable(write_table(tmp_path / "table.csv", ("none", "skip_connect", "nor_conv_3x3")))
    evaluator, cost = TableEvaluator(table, "val", "test"), NB201TableCost(table, "params_m")
    box = ParetoBox.of_table(evaluator, cost)
    tests = table.column("test") / 100
    assert box.reference == (pytest.approx(tests.min()), 0.6) and box.ideal == (pytest.approx(tests.max()), 0.0)
    points = np.stack([tests, table.column("params_m")], axis=1)
    area = (tests.max() - tests.min()) * 0.6
    optimum = box.table_optimum(evaluator, cost)
    assert optimum == pytest.approx(hypervolume(points, box.reference, (True, False)) / area)
    assert 0 < optimum < 1
    rng = np.random.default_rng(0)
    for _ in range(5):
        sample = points[rng.choice(len(points), 30, replace=False)]
        assert box.hypervolume(sample) <= optimum + 1e-12


def test_a_cost_column_without_spread_is_refused_in_one_line(tmp_path):
    from pnas.errors import ConfigError

    table = BenchmarkTable(write_table(tmp_path / "table.csv", ("none", "skip_connect", "avg_pool_3x3")))
    evaluator, cost = TableEvaluator(table, "val", "test"), NB201TableCost(table, "params_m")  # no conv: 0 params
    with pytest.raises(ConfigError, match="column params_m of .* holds one value throughout"):
        ParetoBox.of_table(evaluator, cost)
