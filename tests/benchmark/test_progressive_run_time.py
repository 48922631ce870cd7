"""``benchmarks/progressive_run_time.py``: both LSTM heads timed on the same development seeds."""

from __future__ import annotations

from tests.benchmark.tables import write_table
from tests.benchmark.test_diagnosis import script


def test_both_heads_run_each_seed_and_below_40_cells_they_search_alike(tmp_path, capsys):
    table = write_table(tmp_path / "table.csv", ("none", "skip_connect", "nor_conv_3x3"))
    figures = script("progressive_run_time").main(["--table", str(table), "--signal", "val", "--seeds", "2",
                                                   "--budget", "20"])  # fmt: skip
    default, linear = figures["seconds"]
    assert all(len(runs) == 2 and min(runs) > 0 for runs in figures["seconds"].values())
    # No fit reaches 40 cells in 20 evaluations, so the default is the linear head there: the same runs.
    assert figures["best"][default] == figures["best"][linear]
    output = capsys.readouterr().out
    assert "seed 10000" in output and "seed 10001" in output and "x the linear head's time" in output


def test_without_a_table_it_says_where_to_point_it(tmp_path, capsys):
    assert script("progressive_run_time").main(["--table", str(tmp_path / "absent.csv")]) == {}
    assert "pass one with --table" in capsys.readouterr().out
