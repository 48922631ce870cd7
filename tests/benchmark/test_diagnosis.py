"""The diagnosis and carry-over scripts of ``benchmarks/``, on small synthetic tables with other column names."""

from __future__ import annotations

import csv
import importlib.util
import json
from pathlib import Path

import pytest

from pnas.search.spaces.nasbench201 import nb201_level_cells
from tests.benchmark.tables import write_table

ROOT = Path(__file__).resolve().parents[2]
OPS = ("none", "skip_connect", "nor_conv_3x3")


def script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / f"benchmarks/{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return write_table(tmp_path_factory.mktemp("table") / "table.csv", OPS)


def test_carry_over_columns_shuffle_only_the_partial_cells_and_add_seeded_noise(table, tmp_path):
    carry_over = script("carry_over_tables")
    out = tmp_path / "carry.csv"
    carry_over.main([f"--table={table}", "--signal=val", f"--output={out}", "--seed=3"])
    rows = list(csv.DictReader(out.open()))
    again = carry_over.carry_over_rows(list(csv.DictReader(table.open())), "val", 0.3, 3)
    assert [row["val_noisy"] for row in rows] == [row["val_noisy"] for row in again]  # the same under a seed
    partial = {cell.to_arch() for level in (1, 2) for cell in nb201_level_cells(level)}
    short = [row for row in rows if row["arch"] in partial]
    full = [row for row in rows if row["arch"] not in partial]
    assert all(row["val_misleading"] == row["val"] for row in full)
    assert sorted(row["val_misleading"] for row in short) == sorted(row["val"] for row in short)
    assert sum(row["val_misleading"] != row["val"] for row in short) > len(short) / 2
    noise = [float(row["val_noisy"]) - float(row["val"]) for row in rows]
    assert 0.2 < (sum(n * n for n in noise) / len(noise)) ** 0.5 < 0.4


def test_a_carry_over_table_without_an_op_is_a_smaller_nb201_space(table, tmp_path):
    from pnas.benchmark.nb201_table import nasbench201_space
    from pnas.benchmark.table import BenchmarkTable

    out = tmp_path / "no_conv.csv"
    arguments = [f"--table={table}", "--signal=val", f"--output={out}", "--without-op=nor_conv_3x3"]
    script("carry_over_tables").main(arguments)
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 2**6 and not any("nor_conv_3x3" in row["arch"] for row in rows)
    assert nasbench201_space(BenchmarkTable(out)).ops == ("none", "skip_connect")


def test_the_diagnosis_reports_the_beam_the_region_and_each_strategys_curve(table, tmp_path, capsys):
    diagnose = script("diagnose_search")
    out = tmp_path / "diagnosis.json"
    diagnose.main([
        f"--table={table}", "--signal=val", "--runs=2", "--budget=30", "--strategies=progressive,local",
        "--set", "progressive.surrogate=mlp", "--set", "progressive.beam_size=2", f"--json={out}",
    ])  # fmt: skip
    summary = json.loads(out.read_text())
    assert summary["signal"] == "val" and summary["seeds"] == [10000, 10001]  # tuning seeds, never reported ones
    progressive = summary["progressive"]
    assert progressive["settings"]["surrogate"] == "mlp" and progressive["settings"]["mutation_parents"] == 1
    for run in progressive["runs"]:
        assert run["reachable_best"] <= summary["table_best"] and 0 <= run["beam_percentile"] <= 100
        assert list(run["best_at"]) == ["25"] and run["best_at"]["25"] <= summary["table_best"]
    assert len(summary["local"]["runs"]) == 2
    printed = capsys.readouterr().out
    assert "best reachable from the beam" in printed and "local" in printed
