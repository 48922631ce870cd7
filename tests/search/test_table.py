from __future__ import annotations

from pathlib import Path

import pytest

from pnas.benchmark.table import BenchmarkTable, TableEvaluator
from pnas.errors import ConfigError, DataNotFoundError
from pnas.search import run_search
from pnas.search.spaces.nasbench201 import NB201Cell
from tests.benchmark.tables import OPTIMUM_EDGES, signal, write_table
from tests.conftest import permission_denied

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
    from pnas.search.spaces.nasbench201 import NASBench201Space
    from pnas.search.strategies.baselines import RandomSearch

    evaluator = TableEvaluator(write_table(tmp_path / "four.csv", FOUR_OPS), "val", "test")
    with pytest.raises(KeyError, match="not in"):
        evaluator.evaluate(NB201Cell(("avg_pool_3x3",) * 6))
    # Searching all 5 ops on a 4-op table: lookups of cells outside it fail, the others succeed.
    strategy = RandomSearch(NASBench201Space(), budget=12, seed=0)
    result = run_search(strategy, evaluator, tmp_path / "run", progress=False, max_consecutive_failures=12)
    statuses = {record.status for record in result.candidates}
    assert statuses == {"ok", "failed"} and len(result.candidates) == 12
    assert result.test_value == pytest.approx(evaluator.test(NB201Cell.from_arch(str(result.best_cell))))


def test_unknown_columns_and_missing_files_say_what_to_do(table_path, tmp_path):
    with pytest.raises(ConfigError, match="no column 'val_acc_12'; choose one of index, params_m, val, test"):
        TableEvaluator(table_path, "val_acc_12", "test")
    with pytest.raises(DataNotFoundError, match="--table"):
        BenchmarkTable(tmp_path / "absent.csv")
    (tmp_path / "nokey.csv").write_text("name,val\nx,1\n")
    with pytest.raises(ConfigError, match="no 'arch' column"):
        BenchmarkTable(tmp_path / "nokey.csv")


# Bad tables of every kind give a one-line ConfigError (DataNotFoundError when missing), never a raw Python error.

ARCH = NB201Cell(("none",) * 6).to_arch()
OTHER = NB201Cell(("skip_connect",) * 6).to_arch()


def refused(path, error=ConfigError) -> str:
    """The message of the error reading the table at ``path`` raises: one line that names the file."""
    with pytest.raises(error) as info:
        BenchmarkTable(path)
    message = str(info.value)
    assert "\n" not in message and str(path) in message and len(message) < 400, message
    return message


def write(tmp_path, content: str | bytes, name: str = "table.csv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_a_repeated_architecture_is_refused_naming_it_and_both_lines(tmp_path):
    path = write(tmp_path, f"arch,val\n{ARCH},1\n{OTHER},2\n{ARCH},3\n")
    assert f"lists architecture {ARCH!r} twice, on lines 2 and 4" in refused(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"arch,val\n\xff\xfe\x00binary\n", "not UTF-8 text"),
        (f"arch,val\n{ARCH},1\x00\n", "NUL byte on line 2"),
        (f"arch,val\n{ARCH},{'9' * 200_000}\n", "line 2 is not valid CSV: field larger than field limit"),
        (f'arch,val\n{ARCH},"1\n', "line 2 is not valid CSV: unexpected end of data"),
        (f"arch,val\n{ARCH}\n", "line 2 has 1 field but the header has 2"),
        (f"arch,val\n{ARCH},1,2\n", "line 2 has 3 fields but the header has 2"),
        ("val,arch\n1\n", "line 2 has 1 field but the header has 2"),
        (f"arch,val\n{ARCH},1\n ,2\n", "line 3 has an empty 'arch' entry"),
        (f"arch,val,val\n{ARCH},1,2\n", "names column 'val' twice"),
        ("", "is empty"),
        ("\n\n", "is empty"),
    ],
)
def test_a_malformed_table_gives_a_config_error_saying_what_is_wrong(tmp_path, content, message):
    assert message in refused(write(tmp_path, content))


def test_a_directory_or_an_unreadable_table_is_refused(tmp_path, monkeypatch):
    (tmp_path / "dir.csv").mkdir()
    assert "is a directory, not a file" in refused(tmp_path / "dir.csv")
    path = write(tmp_path, f"arch,val\n{ARCH},1\n")
    monkeypatch.setattr(Path, "read_bytes", permission_denied)
    assert "permission denied" in refused(path)


def test_a_non_numeric_entry_is_named_by_line_and_value(tmp_path):
    table = BenchmarkTable(write(tmp_path, f"arch,val\n{ARCH},1\n{OTHER},n/a\n"))
    with pytest.raises(ConfigError, match="column 'val' of .* is not numeric: line 3 holds 'n/a'"):
        table.column("val")
    with pytest.raises(ConfigError, match="no column 'test'"):
        table.value(ARCH, "test")
