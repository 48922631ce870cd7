from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from pnas.benchmark.nb201_table import nasbench201_space
from pnas.benchmark.report import welch_interval
from pnas.benchmark.strategies import STRATEGY_SETTINGS, make_strategy
from pnas.benchmark.table import BenchmarkTable, TableEvaluator
from pnas.benchmark.tuning import TUNING_GRIDS, TUNING_SEED_OFFSET, score_configuration, tune, tuning_seeds
from pnas.cli import main
from pnas.errors import ConfigError
from pnas.search import LocalSearch, NASBench201Space
from tests.benchmark.tables import signal, write_table

OPS = ("none", "skip_connect", "nor_conv_3x3")
BASELINES = ["random", "rea", "local"]  # no surrogate fits: the tuning path is the same for every strategy


@pytest.fixture(scope="module")
def clean_path(tmp_path_factory):
    return write_table(tmp_path_factory.mktemp("clean") / "table.csv", OPS)


@pytest.fixture(scope="module")
def poisoned_path(clean_path, tmp_path_factory):
    """The clean table with its report column reversed: the best cell by signal is the worst by report."""
    with clean_path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    path = tmp_path_factory.mktemp("poisoned") / "table.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**row, "test": f"{140 - float(row['val']):.4f}"} for row in rows)
    return path


class ReportlessTable(BenchmarkTable):
    """A table that fails any read of its report column."""

    def column(self, name: str) -> np.ndarray:
        if name == "test":
            raise AssertionError("tuning read the report column")
        return super().column(name)


@pytest.mark.parametrize("multi_objective", [False, True])
def test_every_tunable_strategy_gets_the_same_number_of_configurations_and_each_builds(multi_objective, tmp_path):
    from pnas.benchmark.nb201_table import NB201TableCost
    from pnas.benchmark.tuning import PARETO_TUNING_GRIDS

    grids = PARETO_TUNING_GRIDS if multi_objective else TUNING_GRIDS
    cost = NB201TableCost(BenchmarkTable(write_table(tmp_path / "t.csv")), "params_m") if multi_objective else None
    counts = {name: len(grid) for name, grid in grids.items()}
    strategies = {"progressive", "nsga2"} if multi_objective else {"progressive", "rea", "local"}
    assert set(counts) == strategies and len(set(counts.values())) == 1, counts
    space = NASBench201Space()
    for name, grid in grids.items():
        assert len({tuple(sorted(config.items())) for config in grid}) == len(grid)  # no duplicates
        for config in grid:
            assert set(config) <= set(STRATEGY_SETTINGS[name])
            make_strategy(name, space, 10, 0, cost, **config)


def test_tuning_seeds_are_disjoint_from_the_reported_ones():
    assert tuning_seeds(3, 30) == [TUNING_SEED_OFFSET, TUNING_SEED_OFFSET + 1, TUNING_SEED_OFFSET + 2]
    assert not set(tuning_seeds(10, 30)) & set(range(30))
    with pytest.raises(ConfigError, match="tuning runs must be >= 1"):
        tuning_seeds(0)
    with pytest.raises(ConfigError, match="apart from tuning seeds"):
        tuning_seeds(2, TUNING_SEED_OFFSET + 1)


def test_tuning_never_reads_the_report_column(clean_path):
    table = ReportlessTable(clean_path)
    record = tune(table, "val", nasbench201_space(table), BASELINES, [10, 20], tuning_seeds(2), progress=False)
    assert set(record.chosen) == {"rea", "local"} and record.grids["random"] == []
    assert all(len(record.scores[name]) == len(TUNING_GRIDS[name]) for name in record.chosen)


def test_a_poisoned_report_column_does_not_change_the_tuning_choice(clean_path, poisoned_path, tmp_path):
    documents = {}
    for name, path in (("clean", clean_path), ("poisoned", poisoned_path)):
        out = tmp_path / f"{name}.json"
        main(
            ["benchmark", "--table", str(path), "--signal", "val", "--report-column", "test", "--budgets", "20,40",
             "--runs", "3", "--tune-runs", "3", "--strategies", ",".join(BASELINES), "--json", str(out),
             "--report", str(tmp_path / f"{name}.md"), "--no-progress"]
        )  # fmt: skip
        documents[name] = json.loads(out.read_text())
    clean, poisoned = documents["clean"], documents["poisoned"]
    for name in BASELINES:
        record = {key: value for key, value in clean["tuning"]["strategies"][name].items() if key != "seconds"}
        assert {key: poisoned["tuning"]["strategies"][name][key] for key in record} == record
    assert clean["strategies"]["rea"]["budgets"]["40"]["mean"] != poisoned["strategies"]["rea"]["budgets"]["40"]["mean"]

    # Had tuning read the report column, it would have chosen differently: its scores run the other way.
    leaky = TableEvaluator(BenchmarkTable(poisoned_path), "val", "test")
    space = nasbench201_space(leaky.table)
    changed = []
    for name in ("rea", "local"):
        scores = [
            score_configuration(leaky, space, name, config, [20, 40], poisoned["seeds"]["tuning"])
            for config in TUNING_GRIDS[name]
        ]
        changed.append(int(np.argmax(scores)) != poisoned["tuning"]["strategies"][name]["chosen_index"])
    assert any(changed)


def test_welch_interval_matches_scipy():
    from scipy import stats

    rng = np.random.default_rng(0)
    a, b = rng.normal(94.2, 0.3, 30), rng.normal(94.0, 0.6, 20)
    cell = welch_interval(a, b)
    test = stats.ttest_ind(a, b, equal_var=False)
    low, high = test.confidence_interval(0.95)
    assert (cell["low"], cell["high"]) == pytest.approx((low, high))
    assert cell["difference"] / cell["stderr"] == pytest.approx(test.statistic)
    assert np.isnan(welch_interval([1.0], [2.0, 3.0])["low"])
    assert welch_interval([1.0, 1.0], [2.0, 2.0]) == pytest.approx(
        {"difference": -1.0, "stderr": 0.0, "df": np.nan, "low": -1.0, "high": -1.0}, nan_ok=True
    )


def test_best_improvement_scans_the_whole_neighbourhood_before_moving():
    space = NASBench201Space(OPS)
    strategy = LocalSearch(space, budget=200, seed=0, variant="best")
    (start,) = strategy.propose().cells
    strategy.observe([start], [signal(start)])
    neighbours = set(space.neighbours(start))
    for _ in range(len(neighbours)):
        (cell,) = strategy.propose().cells
        assert cell in neighbours  # no move before every neighbour is evaluated
        strategy.observe([cell], [signal(cell)])
    best = max(neighbours, key=signal)
    (cell,) = strategy.propose().cells
    assert (cell in space.neighbours(best)) == (signal(best) > signal(start))


def test_first_improvement_moves_at_once_and_restarts_from_the_best_of_initial_samples():
    space = NASBench201Space(OPS)
    strategy = LocalSearch(space, budget=200, seed=0, initial_samples=5)
    starts = []
    for _ in range(5):
        (cell,) = strategy.propose().cells
        starts.append(cell)
        strategy.observe([cell], [signal(cell)])
    best = max(starts, key=signal)
    (cell,) = strategy.propose().cells
    assert cell in space.neighbours(best)
    strategy.observe([cell], [signal(best) + 1])  # better than the current cell: move to it at once
    assert strategy.current[0] == cell
    with pytest.raises(ConfigError, match="variant"):
        LocalSearch(space, variant="steepest")
    with pytest.raises(ConfigError, match="initial_samples"):
        LocalSearch(space, initial_samples=0)


def test_a_flag_the_grid_sets_is_named_and_the_tuned_value_runs(clean_path, tmp_path, capsys):
    out = tmp_path / "bench.json"
    main(
        ["benchmark", "--table", str(clean_path), "--signal", "val", "--report-column", "test", "--budgets", "5",
         "--runs", "1", "--tune-runs", "1", "--strategies", "rea", "--population-size", "7", "--json", str(out),
         "--no-progress"]
    )  # fmt: skip
    assert "note: rea's tuning grid sets population_size, so --population-size 7 applies with --no-tune only" in (
        capsys.readouterr().out
    )
    document = json.loads(out.read_text())
    assert document["strategies"]["rea"]["settings"] == document["tuning"]["strategies"]["rea"]["chosen"]
    assert document["differences"]["baselines"] == {}
