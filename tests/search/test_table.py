from __future__ import annotations

import pytest

from pnas.errors import ConfigError, DataNotFoundError
from pnas.search import run_search
from pnas.search.nasbench201 import NB201Cell
from pnas.search.table import BenchmarkTable, TableEvaluator
from tests.benchmark.tables import OPTIMUM_EDGES, signal, write_table

OPS = ("none", "skip_connect", "nor_conv_3x3")
FOUR_OPS = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")


@pytest.fixture
def table_path(tmp_path):
    return write_table(tmp_path / "table.csv", OPS)


def test_the_search_sees_the_signal_and_the_report_is_the_other_column(table_path):
    evaluator = TableEvaluator(table_path, signal="val", report="test")
    cell = NB201Cell(OPTIMUM_EDGES)
    evaluation = evaluator.evaluate(cell)
    assert evaluation.status == "ok"
    assert evaluation.accuracy == pytest.approx(signal(cell) / 100, abs=1e-6)  # percent -> fraction
    assert evaluator.test(cell) == pytest.approx((signal(cell) - 1) / 100, abs=1e-6)
    assert evaluator.best_report == pytest.approx(evaluator.test(cell))
    partial = NB201Cell.from_chosen(("nor_conv_3x3",))  # a level-1 cell is looked up as the architecture it realises
    assert evaluator.evaluate(partial).accuracy == pytest.approx(signal(partial) / 100, abs=1e-6)


def test_fraction_columns_are_left_alone(tmp_path):
    path = tmp_path / "fractions.csv"
    path.write_text("arch,acc\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,0.25\n")
    evaluator = TableEvaluator(path, "acc", "acc")
    assert evaluator.evaluate(NB201Cell(("none",) * 6)).accuracy == 0.25


def test_a_cell_missing_from_the_table_fails_as_a_candidate_and_the_search_goes_on(tmp_path):
    from pnas.search.baselines import RandomSearch
    from pnas.search.nasbench201 import NASBench201Space

    evaluator = TableEvaluator(write_table(tmp_path / "four.csv", FOUR_OPS), "val", "test")
    with pytest.raises(KeyError, match="not in"):
        evaluator.evaluate(NB201Cell(("avg_pool_3x3",) * 6))
    # Searching all 5 ops on a 4-op table: lookups of cells outside it fail, the others succeed.
    strategy = RandomSearch(NASBench201Space(), budget=12, seed=0)
    result = run_search(strategy, evaluator, tmp_path / "run", progress=False, max_consecutive_failures=12)
    statuses = {record.status for record in result.candidates}
    assert statuses == {"ok", "failed"} and len(result.candidates) == 12
    assert result.test_acc == pytest.approx(evaluator.test(NB201Cell.from_arch(str(result.best_cell))))


def test_unknown_columns_and_missing_files_say_what_to_do(table_path, tmp_path):
    with pytest.raises(ConfigError, match="no column 'val_acc_12'; choose one of index, params_m, val, test"):
        TableEvaluator(table_path, "val_acc_12", "test")
    with pytest.raises(DataNotFoundError, match="--table"):
        BenchmarkTable(tmp_path / "absent.csv")
    (tmp_path / "nokey.csv").write_text("name,val\nx,1\n")
    with pytest.raises(ConfigError, match="no 'arch' column"):
        BenchmarkTable(tmp_path / "nokey.csv")
