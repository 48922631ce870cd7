"""Zero-cost proxies: finite on every kind of cell, deterministic, and reproducing the stored NAS-Bench-201 table."""

from __future__ import annotations

import copy
import csv
import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from pnas.benchmark.proxies import ProbeSettings, nasbench201_cell_proxies, probe_batch
from pnas.benchmark.table import BenchmarkTable
from pnas.nn.nasbench201 import NB201Network
from pnas.nn.zero_cost import PROXIES, zero_cost_proxies
from pnas.search.spaces.nasbench201 import NB201Cell
from surrogate import rank_correlations

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "benchmarks" / "data" / "nasbench201_proxies.csv"
TABLE = ROOT.parent / "shared" / "data" / "nasbench201" / "cifar10.csv"
SMALL = ProbeSettings(size=8, count=8, channels=4, cells_per_stage=1)
CONVS = ("nor_conv_3x3",) * 6
NONE = ("none",) * 6
MIXED = ("skip_connect", "nor_conv_1x1", "avg_pool_3x3", "none", "nor_conv_3x3", "skip_connect")


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def small_batch():
    return probe_batch(SMALL.size, SMALL.count)


def test_the_probe_batch_is_standardised_rgb_digits_with_their_labels():
    images, labels = probe_batch(size=12, count=5)
    assert images.shape == (5, 3, 12, 12) and labels.tolist() == [0, 1, 2, 3, 4]
    assert abs(float(images.mean())) < 1e-5 and float(images.std()) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.parametrize("edges", [CONVS, NONE, MIXED])
def test_every_proxy_is_a_finite_number_even_without_a_path_to_the_output(edges, small_batch):
    scores = nasbench201_cell_proxies(edges, small_batch, SMALL)
    assert list(scores) == [*PROXIES, "seconds"]
    assert all(math.isfinite(value) for value in scores.values()) and scores["seconds"] > 0


def test_a_cell_is_scored_the_same_whatever_ran_before_it(small_batch):
    first = nasbench201_cell_proxies(CONVS, small_batch, SMALL)
    torch.randn(100)  # moves the global generator
    second = nasbench201_cell_proxies(CONVS, small_batch, SMALL)
    assert {k: first[k] for k in PROXIES} == {k: second[k] for k in PROXIES}
    reseeded = nasbench201_cell_proxies(CONVS, small_batch, ProbeSettings(8, 8, 4, 1, seed=1))
    assert reseeded["synflow"] != first["synflow"]


def test_proxies_depend_only_on_the_network_and_the_batch(small_batch):
    torch.manual_seed(3)
    network = NB201Network(CONVS, channels=4, cells_per_stage=1)
    twin = copy.deepcopy(network)
    assert zero_cost_proxies(network, *small_batch) == zero_cost_proxies(twin, *small_batch)


def test_convolutions_score_above_a_cell_that_passes_nothing_on(small_batch):
    convs = nasbench201_cell_proxies(CONVS, small_batch, SMALL)
    none = nasbench201_cell_proxies(NONE, small_batch, SMALL)
    assert convs["synflow"] > none["synflow"] and convs["naswot"] > none["naswot"]


def test_the_stored_table_scores_every_cell_once_with_finite_proxies():
    with STORED.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 15625 and len({row["arch"] for row in rows}) == 15625
    assert sorted(int(row["index"]) for row in rows) == list(range(15625))
    values = np.array([[float(row[name]) for name in (*PROXIES, "seconds")] for row in rows])
    assert np.isfinite(values).all() and (values[:, -1] > 0).all()


def test_the_stored_table_is_reproduced_by_the_default_settings():
    stored = BenchmarkTable(STORED)
    batch = probe_batch()
    for arch in (stored.architectures[0], stored.architectures[7777]):
        scores = nasbench201_cell_proxies(NB201Cell.from_arch(arch).edges, batch)
        for name in PROXIES:
            assert scores[name] == pytest.approx(stored.value(arch, name), rel=1e-3, abs=1e-3), (arch, name)


@pytest.mark.skipif(not TABLE.is_file(), reason="NAS-Bench-201 table not in ../shared")
def test_synflow_and_naswot_rank_the_benchmark_cells():
    stored, table = BenchmarkTable(STORED), BenchmarkTable(TABLE)
    accuracy = [table.value(arch, "val_acc_12") for arch in stored.architectures]
    for name in ("synflow", "naswot"):
        assert rank_correlations(stored.column(name), accuracy)["kendall_tau"] > 0.2, name


def _script():
    spec = importlib.util.spec_from_file_location("nasbench201_proxies", ROOT / "benchmarks" / "nasbench201_proxies.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_the_script_resumes_where_it_stopped(tmp_path, capsys):
    from tests.benchmark.tables import write_table

    table = write_table(tmp_path / "table.csv", ("none", "nor_conv_1x1"))
    out = tmp_path / "proxies.csv"
    script = _script()
    script.compute(BenchmarkTable(table), out, workers=1, limit=3, progress=False)
    first = out.read_text().splitlines()
    script.compute(BenchmarkTable(table), out, workers=1, limit=5, progress=False)
    lines = out.read_text().splitlines()
    assert lines[:4] == first and len(lines) == 6 and lines[0].split(",") == list(script.COLUMNS)
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "1", "2", "3", "4"]
