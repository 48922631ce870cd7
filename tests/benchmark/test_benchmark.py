from __future__ import annotations

import contextlib
import copy
import io
import json

import numpy as np
import pytest

from pnas.benchmark import PARETO_TUNING_GRIDS, TUNING_GRIDS, checklist, markdown_report
from pnas.benchmark.nb201_table import nasbench201_space
from pnas.benchmark.options import parse_options
from pnas.benchmark.runner import best_so_far
from pnas.benchmark.table import BenchmarkTable
from pnas.benchmark.tuning import DEFAULT_SETTINGS, PARETO_DEFAULT_SETTINGS
from pnas.cli import main
from pnas.search.spaces.nasbench201 import NB201Cell
from tests.benchmark.tables import write_table

OPS = ("none", "skip_connect", "nor_conv_3x3")


@pytest.fixture(scope="module")
def table_path(tmp_path_factory):
    return write_table(tmp_path_factory.mktemp("table") / "table.csv", OPS)


def test_best_so_far_follows_the_signal_not_the_report():
    trajectory = [(0.5, 0.9), (0.7, 0.6), (float("nan"), float("nan")), (0.6, 0.99), (0.8, 0.7)]
    assert np.allclose(best_so_far(trajectory, 6), [0.9, 0.6, 0.6, 0.6, 0.7, 0.7])


@contextlib.contextmanager
def one_torch_thread():
    """Surrogate fits on one thread: on a busy 2-core machine torch's thread pool makes them many times slower."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tuned_run(table_path, tmp_path_factory):
    """One tuned benchmark through the CLI, with 2 configurations per tunable strategy to stay fast."""
    out = tmp_path_factory.mktemp("tuned")
    grids = {
        "progressive": ({"exploration": 0.0}, {"exploration": 1.0}),
        "rea": ({"population_size": 4, "sample_size": 2}, {"population_size": 8, "sample_size": 4}),
        "local": ({"variant": "first"}, {"variant": "best"}),
    }
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed), one_torch_thread():
        for name, grid in grids.items():
            patch.setitem(TUNING_GRIDS, name, grid)
        main(
            ["benchmark", "--table", str(table_path), "--signal", "val", "--report-column", "test", "--budgets", "5,10",
             "--runs", "2", "--tune-runs", "2", "--strategies", "progressive,random,rea,local", "--surrogate", "mlp",
             "--beam-size", "3", "--batch-size", "5", "--json", str(out / "bench.json"),
             "--report", str(out / "bench.md"), "--no-progress"]
        )  # fmt: skip
    return out, printed.getvalue(), json.loads((out / "bench.json").read_text()), grids


def test_benchmark_command_prints_a_table_and_writes_json_and_plot(tuned_run, table_path):
    out, printed, document, _ = tuned_run
    assert "test of the best-by-val cell (%)" in printed and "± " in printed and "<- chosen" in printed
    assert "progressive minus each baseline, 95% CI" in printed
    assert document["format"] == "pnas.benchmark/v2"
    assert document["budgets"] == [5, 10]
    settings = document["settings"]
    assert settings["signal"] == "val" and settings["report_column"] == "test" and settings["runs"] == 2
    assert settings["given"]["beam_size"] == 3 and settings["given"]["surrogate"] == "mlp"
    assert settings["command"].startswith("pnas benchmark --table") and settings["tune"] is True
    assert settings["optimum"] == pytest.approx(BenchmarkTable(table_path).column("test").max())
    assert document["seeds"] == {"reported": [0, 1], "tuning": [10_000, 10_001]}
    assert list(document["strategies"]) == ["progressive", "random", "rea", "local"]
    for _name, entry in document["strategies"].items():
        assert entry["seconds"] >= 0
        assert len(entry["curve"]["mean"]) == len(entry["curve"]["stderr"]) == len(entry["curve"]["seconds"]) == 10
        assert np.all(np.diff(entry["curve"]["seconds"]) >= 0)  # cumulative wall-clock seconds per evaluation
        for budget in ("5", "10"):
            runs = entry["budgets"][budget]["runs"]
            assert len(runs) == 2 and all(40 < value <= settings["optimum"] for value in runs)
            assert entry["budgets"][budget]["mean"] == pytest.approx(np.mean(runs))
            assert entry["budgets"][budget]["stderr"] == pytest.approx(np.std(runs, ddof=1) / np.sqrt(2))
            assert entry["budgets"][budget]["seconds"] == pytest.approx(entry["curve"]["seconds"][int(budget) - 1])
            assert f"{entry['budgets'][budget]['mean']:.2f}" in printed
        assert entry["budgets"]["10"]["mean"] >= entry["budgets"]["5"]["mean"]  # best so far never drops
        assert entry["curve"]["mean"][9] == pytest.approx(entry["budgets"]["10"]["mean"])
    time = document["time"]
    assert time["total_seconds"] >= time["tuning_seconds"] + time["reported_seconds"] > 0
    assert time["reported_seconds"] == pytest.approx(sum(e["seconds"] for e in document["strategies"].values()))
    versions, hardware = document["environment"]["versions"], document["environment"]["hardware"]
    assert set(versions) == {"python", "torch", "numpy", "scipy", "pnas"} and all(versions.values())
    assert hardware["cpu"] and hardware["cores_usable"] >= 1
    assert (out / "bench.png").stat().st_size > 10_000  # two panels: over queries and over seconds


def test_tuning_is_recorded_and_its_choice_is_what_runs(tuned_run):
    _, _, document, grids = tuned_run
    tuning = document["tuning"]
    assert tuning["signal"] == "val" and tuning["seeds"] == [10_000, 10_001] and tuning["seconds"] > 0
    assert tuning["budgets"] == [5, 10]
    assert set(tuning["strategies"]) == {"progressive", "random", "rea", "local"}
    assert tuning["strategies"]["random"] == {
        "grid": [], "scores": [], "chosen_index": None, "chosen": {}, "seconds": pytest.approx(0, abs=1)
    }  # fmt: skip
    for name, grid in grids.items():
        entry = tuning["strategies"][name]
        assert entry["grid"] == [dict(config) for config in grid] and len(entry["scores"]) == len(grid)
        assert entry["chosen_index"] == int(np.argmax(entry["scores"]))
        assert entry["chosen"] == entry["grid"][entry["chosen_index"]]
        assert document["strategies"][name]["settings"].items() >= entry["chosen"].items()  # the reported runs used it
    progressive = document["strategies"]["progressive"]["settings"]
    assert progressive["beam_size"] == 3 and progressive["batch_size"] == 5  # flags the grid does not vary stay fixed


def test_differences_are_welch_intervals_of_progressive_minus_each_baseline(tuned_run):
    from scipy import stats

    _, _, document, _ = tuned_run
    record = document["differences"]
    assert record["reference"] == "progressive" and record["confidence"] == 0.95
    assert list(record["baselines"]) == ["random", "rea", "local"]
    for name, per_budget in record["baselines"].items():
        for budget, cell in per_budget.items():
            a = np.array(document["strategies"]["progressive"]["budgets"][budget]["runs"])
            b = np.array(document["strategies"][name]["budgets"][budget]["runs"])
            va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
            assert cell["difference"] == pytest.approx(a.mean() - b.mean())
            if va + vb == 0:
                assert cell["low"] == cell["high"] == pytest.approx(cell["difference"])
                continue
            df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
            half = stats.t.ppf(0.975, df) * np.sqrt(va + vb)
            assert cell["df"] == pytest.approx(df) and cell["stderr"] == pytest.approx(np.sqrt(va + vb))
            assert (cell["low"], cell["high"]) == pytest.approx(
                (a.mean() - b.mean() - half, a.mean() - b.mean() + half)
            )
            assert cell["low"] <= cell["difference"] <= cell["high"]


def test_the_markdown_report_has_every_section_and_the_checklist_from_the_run(tuned_run):
    out, _, document, _ = tuned_run
    text = (out / "bench.md").read_text()
    assert text == markdown_report(document, "bench.png")  # a pure function of the JSON summary
    sections = ["## Settings", "## Tuning", "## Results", "## Differences", "## Figure", "## Time and environment",
                "## Lindauer-Hutter checklist"]  # fmt: skip
    assert [text.index(section) for section in sections] == sorted(text.index(section) for section in sections)
    assert "![Performance over evaluations and over wall-clock time](bench.png)" in text
    assert "| progressive | exploration=" in text and "**chosen**" in text and "| random | (nothing to tune)" in text
    assert "| progressive − rea |" in text
    for budget in ("5", "10"):
        assert f"{document['strategies']['rea']['budgets'][budget]['mean']:.2f} ± " in text
    items = checklist(document)
    assert len(items) >= 15 and text.rstrip().endswith(f"{items[-1][1][1:]}.")
    answers = dict(items)
    assert answers["Same hyperparameter-tuning budget for all methods?"] == (
        "yes, 2 configurations x 2 seeds each (random: none)"
    )
    assert "2 runs per strategy, seeds 0, 1" in answers["Performed multiple runs and reported the seeds?"]
    assert "seeds 10000, 10001 (disjoint from the reported ones)" in text
    assert answers["Compared to random search?"] == "yes"
    assert document["environment"]["hardware"]["cpu"] in text and document["environment"]["versions"]["torch"] in text
    assert f"{document['time']['total_seconds']:.1f} s end to end" in text


def test_the_checklist_says_no_when_the_tuning_budgets_differ(tuned_run):
    _, _, document, _ = tuned_run
    uneven = copy.deepcopy(document)
    entry = uneven["tuning"]["strategies"]["rea"]
    entry["grid"], entry["scores"], entry["chosen_index"] = entry["grid"][:1], entry["scores"][:1], 0
    answer = dict(checklist(uneven))["Same hyperparameter-tuning budget for all methods?"]
    assert answer.startswith("no, configurations per strategy differ (progressive 2, rea 1, local 2)")
    untuned = {**document, "tuning": None, "seeds": {**document["seeds"], "tuning": []}}
    assert "No tuning" in markdown_report(untuned)
    assert dict(checklist(untuned))["Same hyperparameter-tuning budget for all methods?"].startswith("no, no tuning")


def test_no_tune_runs_the_given_settings_as_is(table_path, tmp_path, capsys):
    out = tmp_path / "bench.json"
    # flags spelled with underscores, as pnas search spells its own, or with dashes
    with one_torch_thread():
        main(
            ["benchmark", "--table", str(table_path), "--signal", "val", "--report_column", "test", "--budgets", "5,10",
             "--runs", "2", "--strategies", "progressive,local", "--surrogate", "mlp", "--beam_size=3",
             "--batch-size", "5", "--refit-growth", "0.5", "--local_variant", "best", "--no_tune", "--json", str(out),
             "--no-progress"]
        )  # fmt: skip
    assert "tuning" not in capsys.readouterr().out
    document = json.loads(out.read_text())
    assert document["tuning"] is None and document["seeds"] == {"reported": [0, 1], "tuning": []}
    assert document["settings"]["tune"] is False and document["time"]["tuning_seconds"] == 0
    progressive = document["strategies"]["progressive"]["settings"]
    assert progressive["beam_size"] == 3 and progressive["batch_size"] == 5 and progressive["surrogate"] == "mlp"
    assert progressive["refit_growth"] == 0.5
    assert document["strategies"]["local"]["settings"] == {"variant": "best", "initial_samples": 1}
    assert list(document["differences"]["baselines"]) == ["local"]


@pytest.mark.parametrize("cost", [[], ["--cost", "params_m"]], ids=["single-objective", "pareto"])
def test_no_tune_defaults_are_the_configurations_tuning_chose(cost):
    options, given = parse_options(["--table", "t.csv", *cost])
    chosen, grids = (PARETO_DEFAULT_SETTINGS, PARETO_TUNING_GRIDS) if cost else (DEFAULT_SETTINGS, TUNING_GRIDS)
    names = {"variant": "local_variant"}  # the one flag named apart from its setting
    assert not given
    for strategy, settings in chosen.items():
        assert settings in grids[strategy]  # a --no-tune run is a configuration the grid holds
        assert {key: getattr(options, names.get(key, key)) or None for key in settings} == {
            key: value or None for key, value in settings.items()
        }


def test_a_setting_given_with_cost_is_kept_and_the_others_take_the_pareto_defaults():
    options, given = parse_options(["--table", "t.csv", "--cost", "params_m", "--beam_size", "7", "--climb-round=0"])
    assert given == {"beam_size", "climb_round"}
    assert options.beam_size == 7 and options.climb_round == 0
    assert options.mutation_parents == PARETO_DEFAULT_SETTINGS["progressive"]["mutation_parents"] == 20
    assert options.population_size == PARETO_DEFAULT_SETTINGS["nsga2"]["population_size"]
    assert (
        parse_options(["--table", "t.csv", "--beam-size", "7"])[0].mutation_parents
        == DEFAULT_SETTINGS["progressive"]["mutation_parents"]
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--signal", "val_acc_12"], "no column 'val_acc_12'"),
        (["--report-column", "test_acc_200"], "no column 'test_acc_200'"),
        (["--strategies", "grid"], "unknown strategy grid"),
        (["--runs", "0"], "must be >= 1"),
        (["--tune-runs", "0"], "tuning runs must be >= 1"),
        (["--report", "test"], "--report takes the Markdown file to write"),
        (["--report", "{file}/report.md"], "is not a folder"),
        (["--json", "{file}/deeper/bench.json"], "is not a folder"),
        (["--report", "{folder}"], "is a folder"),
        (["--cost", "latency"], "no column 'latency'"),
        (["--cost", "params_m", "--strategies", "rea"], "rea optimises the signal alone; with a cost column choose"),
        (["--strategies", "nsga2"], "nsga2 is multi-objective: give it a cost column"),
        (["--strategies", "progressive", "--proxies", "{folder}/absent.csv"], "no zero-cost proxy table at"),
    ],
)
def test_benchmark_mistakes_are_one_line_errors(table_path, tmp_path, capsys, args, message):
    (tmp_path / "file").write_text("not a folder")
    args = [arg.format(file=tmp_path / "file", folder=tmp_path) for arg in args]
    with pytest.raises(SystemExit) as exit_info:
        main(["benchmark", "--table", str(table_path), "--report-column", "test", "--signal", "val",
              "--strategies", "random", *args, "--no-progress"])  # fmt: skip
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1
    assert "tuning" not in captured.out  # refused before any run


def test_a_table_without_the_partial_cells_is_refused(tmp_path):
    path = tmp_path / "full_only.csv"
    path.write_text("arch,val\n" + f"{NB201Cell(('nor_conv_3x3',) * 6).to_arch()},90\n")
    with pytest.raises(Exception, match="lacks .* level-1 cell"):
        nasbench201_space(BenchmarkTable(path))


def test_cells_missing_from_the_table_cost_an_evaluation_and_are_skipped(tmp_path):
    from pnas.benchmark import TableEvaluator, make_strategy, run_strategy
    from pnas.search import NASBench201Space

    four_ops = ("none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3")
    evaluator = TableEvaluator(write_table(tmp_path / "four.csv", four_ops), "val", "test")
    trajectory = run_strategy(make_strategy("random", NASBench201Space(), 30, 0), evaluator, 30)  # 5 ops, 4 in table
    missing = [signal for signal, *_ in trajectory if np.isnan(signal)]
    assert len(trajectory) == 30 and 0 < len(missing) < 30
    assert not np.isnan(best_so_far(trajectory, 30)[-1])


def test_two_worker_processes_give_the_same_runs_as_one(table_path):
    from pnas.benchmark.runner import run_benchmark, worker_pool
    from pnas.benchmark.table import TableEvaluator

    table = BenchmarkTable(table_path)
    evaluator, space = TableEvaluator(table, "val", "test"), nasbench201_space(table)
    settings = {"surrogate": "mlp", "beam_size": 2, "batch_size": 4}
    arguments = (evaluator, space, ["progressive", "rea"], [6, 12], 3, settings, False)
    alone = run_benchmark(*arguments)
    with worker_pool(2) as pool:
        shared = run_benchmark(*arguments, pool=pool)
    for name in ("progressive", "rea"):
        np.testing.assert_array_equal(alone.curves[name], shared.curves[name])


def test_workers_below_one_are_refused():
    from pnas.benchmark.runner import worker_pool
    from pnas.errors import ConfigError

    with pytest.raises(ConfigError, match="workers must be >= 1"), worker_pool(0):
        pass


@pytest.fixture(scope="module")
def pareto_run(table_path, tmp_path_factory):
    """One tuned multi-objective benchmark through the CLI (--cost), 2 configurations per tunable strategy."""
    out = tmp_path_factory.mktemp("pareto")
    grids = {"progressive": ({"exploration": 0.0}, {"exploration": 1.0}), "nsga2": ({"population_size": 3},
             {"population_size": 6})}  # fmt: skip
    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed), one_torch_thread():
        for name, grid in grids.items():
            patch.setitem(PARETO_TUNING_GRIDS, name, grid)
        main(
            ["benchmark", "--table", str(table_path), "--signal", "val", "--report-column", "test", "--cost",
             "params_m", "--budgets", "5,12", "--runs", "2", "--tune-runs", "1", "--surrogate", "mlp", "--beam-size",
             "3", "--batch-size", "3", "--json", str(out / "pareto.json"), "--report", str(out / "pareto.md"),
             "--no-progress"]
        )  # fmt: skip
    return out, printed.getvalue(), json.loads((out / "pareto.json").read_text())


def test_the_multi_objective_benchmark_reports_each_runs_front_hypervolume(pareto_run, table_path):
    from pnas.benchmark.fronts import ParetoBox, front_hypervolume_so_far
    from pnas.benchmark.nb201_table import NB201TableCost
    from pnas.benchmark.runner import run_seed
    from pnas.benchmark.table import TableEvaluator

    out, printed, document = pareto_run
    assert "normalised hypervolume in (test, params_m) of the (val, params_m) front (%)" in printed
    assert "progressive minus each baseline" in printed and "<- chosen" in printed
    settings = document["settings"]
    assert settings["cost"] == "params_m" and list(document["strategies"]) == ["progressive", "random", "nsga2"]
    table = BenchmarkTable(table_path)
    evaluator, cost = TableEvaluator(table, "val", "test"), NB201TableCost(table, "params_m")
    box = ParetoBox.of_table(evaluator, cost)
    assert settings["box"] == {"reference": [pytest.approx(table.column("test").min()), 0.6],
                               "ideal": [pytest.approx(table.column("test").max()), 0.0]}  # fmt: skip
    assert settings["optimum"] == pytest.approx(100 * box.table_optimum(evaluator, cost))
    for name, entry in document["strategies"].items():
        assert len(entry["curve"]["mean"]) == 12
        for budget in ("5", "12"):
            runs = entry["budgets"][budget]["runs"]
            assert len(runs) == 2 and all(0 < value <= settings["optimum"] + 1e-9 for value in runs)
            assert entry["budgets"][budget]["mean"] == pytest.approx(np.mean(runs))
        trajectory = run_seed(name, nasbench201_space(table), evaluator, entry["settings"], 1, 12, cost)
        assert 100 * front_hypervolume_so_far(trajectory, 12, box)[11] == pytest.approx(
            entry["budgets"]["12"]["runs"][1]
        )
    assert set(document["differences"]["baselines"]) == {"random", "nsga2"}
    tuning = document["tuning"]
    assert tuning["cost"] == "params_m"
    assert tuning["strategies"]["nsga2"]["grid"] == [{"population_size": 3}, {"population_size": 6}]
    assert all(0 < score <= 100 for score in tuning["strategies"]["nsga2"]["scores"])
    text = (out / "pareto.md").read_text()
    assert "Hypervolume of the table's own front in (`test`, `params_m`)" in text
    assert "normalised hypervolume in (`test`, `params_m`) of each run's (`val`, `params_m`) front" in text
    assert (out / "pareto.png").stat().st_size > 10_000
