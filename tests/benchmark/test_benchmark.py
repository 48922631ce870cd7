from __future__ import annotations

import json

import numpy as np
import pytest

from pnas.benchmark import surrogate_quality
from pnas.benchmark.cli import nasbench201_space
from pnas.benchmark.runner import best_so_far
from pnas.cli import main
from pnas.search.table import BenchmarkTable
from pnas.space.nasbench201 import NB201Cell
from tests.benchmark.tables import write_table

OPS = ("none", "skip_connect", "nor_conv_3x3")


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    return write_table(tmp_path_factory.mktemp("table") / "table.csv", OPS)


def test_best_so_far_follows_the_signal_not_the_report():
    trajectory = [(0.5, 0.9), (0.7, 0.6), (float("nan"), float("nan")), (0.6, 0.99), (0.8, 0.7)]
    assert np.allclose(best_so_far(trajectory, 6), [0.9, 0.6, 0.6, 0.6, 0.7, 0.7])


def test_benchmark_command_prints_a_table_and_writes_json_and_plot(table_path, tmp_path, capsys):
    out = tmp_path / "out" / "bench.json"
    main(
        ["benchmark", "--table", str(table_path), "--signal", "val", "--report", "test", "--budgets", "5,10",
         "--runs", "2", "--strategies", "progressive,random,rea,local", "--json", str(out), "--surrogate", "mlp",
         "--beam-size", "3", "--batch-size", "5", "--no-progress"]
    )  # fmt: skip
    printed = capsys.readouterr().out
    assert "test (%) of the best-by-val cell" in printed and "± " in printed
    document = json.loads(out.read_text())
    assert document["format"] == "pnas.benchmark/v1"
    assert document["budgets"] == [5, 10]
    settings = document["settings"]
    assert settings["signal"] == "val" and settings["report"] == "test" and settings["runs"] == 2
    assert settings["beam_size"] == 3 and settings["surrogate"] == "mlp"
    assert settings["optimum"] == pytest.approx(BenchmarkTable(table_path).column("test").max())
    assert list(document["strategies"]) == ["progressive", "random", "rea", "local"]
    for _name, entry in document["strategies"].items():
        assert entry["seconds"] >= 0
        assert len(entry["curve"]["mean"]) == len(entry["curve"]["stderr"]) == 10
        for budget in ("5", "10"):
            runs = entry["budgets"][budget]["runs"]
            assert len(runs) == 2 and all(40 < value <= settings["optimum"] for value in runs)
            assert entry["budgets"][budget]["mean"] == pytest.approx(np.mean(runs))
            assert entry["budgets"][budget]["stderr"] == pytest.approx(np.std(runs, ddof=1) / np.sqrt(2))
            assert f"{entry['budgets'][budget]['mean']:.2f}" in printed
        assert entry["budgets"]["10"]["mean"] >= entry["budgets"]["5"]["mean"]  # best so far never drops
        assert entry["curve"]["mean"][9] == pytest.approx(entry["budgets"]["10"]["mean"])
    assert (tmp_path / "out" / "bench.png").stat().st_size > 10_000


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--signal", "val_acc_12"], "no column 'val_acc_12'"),
        (["--strategies", "grid"], "unknown strategy grid"),
        (["--runs", "0"], "must be >= 1"),
    ],
)
def test_benchmark_mistakes_are_one_line_errors(table_path, capsys, args, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["benchmark", "--table", str(table_path), "--report", "test", "--signal", "val", *args, "--no-progress"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_a_table_without_the_partial_cells_is_refused(tmp_path):
    path = tmp_path / "full_only.csv"
    path.write_text("arch,val\n" + f"{NB201Cell(('nor_conv_3x3',) * 6).to_arch()},90\n")
    with pytest.raises(Exception, match="lacks .* level-1 cell"):
        nasbench201_space(BenchmarkTable(path))


def test_surrogate_quality_reports_rank_correlations_per_size_and_split(table_path):
    table = BenchmarkTable(table_path)
    space = nasbench201_space(table)
    report = surrogate_quality(
        table,
        space,
        NB201Cell.from_arch,
        "val",
        sizes=(60,),
        held_out=200,
        splits=2,
        surrogates=("mlp",),
        progress=False,
    )
    assert report["sizes"] == [60] and report["held_out"] == 200
    mlp, params = report["predictors"]["mlp"][60], report["predictors"]["params_m"][60]
    assert len(mlp["kendall_tau"]) == len(mlp["spearman"]) == 2
    # The synthetic accuracy is a weighted sum of per-edge op qualities: the MLP learns it, parameter count cannot.
    assert min(mlp["kendall_tau"]) > 0.6 > max(params["kendall_tau"])


def test_cells_missing_from_the_table_cost_an_evaluation_and_are_skipped(tmp_path):
    from pnas.benchmark import make_strategy, run_strategy
    from pnas.search import NASBench201Space, TableEvaluator

    four_ops = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
    evaluator = TableEvaluator(write_table(tmp_path / "four.csv", four_ops), "val", "test")
    trajectory = run_strategy(make_strategy("random", NASBench201Space(), 30, 0), evaluator, 30)  # 5 ops, 4 in table
    missing = [signal for signal, _ in trajectory if np.isnan(signal)]
    assert len(trajectory) == 30 and 0 < len(missing) < 30
    assert not np.isnan(best_so_far(trajectory, 30)[-1])
