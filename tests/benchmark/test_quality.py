"""Surrogate quality: the DARTS loader, the predictor registry, and the random-split, cross-validation and
extrapolation modes, on synthetic data (the real files only where present)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pytest

from pnas.benchmark.darts import darts_tokens, load_darts_sample
from pnas.benchmark.predictors import (
    PREDICTORS,
    QualityData,
    params_predictor,
    resolve_predictors,
)
from pnas.benchmark.quality import (
    cross_validation_quality,
    extrapolation_quality,
    kfold_indices,
    mean_se,
    nasbench201_data,
    surrogate_quality,
)
from pnas.benchmark.table import BenchmarkTable
from pnas.errors import ConfigError, DataNotFoundError
from surrogate import rank_correlations
from tests.benchmark.tables import write_table

OPS = ("none", "skip_connect", "nor_conv_3x3")
ROOT = Path(__file__).resolve().parents[2]
REAL_DARTS = ROOT.parent / "shared" / "data" / "nasbench301" / "darts_dev.json"
DARTS_OPS = ["max_pool_3x3", "avg_pool_3x3", "skip_connect", "sep_conv_3x3", "sep_conv_5x5", "dil_conv_3x3"]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    return BenchmarkTable(write_table(tmp_path_factory.mktemp("table") / "table.csv", OPS))


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_darts_cell(rng: np.random.Generator, num_ops: int = len(DARTS_OPS)) -> list[list[int]]:
    return [[int(rng.integers(index // 2 + 2)), int(rng.integers(num_ops))] for index in range(8)]


def write_darts(path: Path, count: int, seed: int = 0) -> Path:
    """A sample in the format of ``darts_dev.json``: accuracy rises with the ops of the first normal node."""
    rng, cells = np.random.default_rng(seed), []
    for _ in range(count):
        normal, reduce = random_darts_cell(rng), random_darts_cell(rng)
        accuracy = 90.0 + 0.5 * normal[0][1] + 0.2 * normal[1][1] + 0.05 * float(rng.normal())
        cells.append({"normal": normal, "reduce": reduce, "val_accuracy": accuracy, "params": float(rng.uniform(1, 2)),
                      "flops": float(rng.uniform(100, 300))})  # fmt: skip
    path.write_text(json.dumps({"ops": DARTS_OPS, "cells": cells}))
    return path


def test_surrogate_quality_reports_rank_correlations_per_size_and_split(table):
    data = nasbench201_data(table, "val")
    report = surrogate_quality(
        data, sizes=(30, 60), held_out=200, splits=2, predictors=("params", "lstm"), progress=False
    )
    assert report["mode"] == "random_split" and report["sizes"] == [30, 60] and report["held_out"] == 200
    assert report["rows"] == {30: {"train": 30, "test": 200}, 60: {"train": 60, "test": 200}}
    lstm, params = report["predictors"]["lstm"][60], report["predictors"]["params"][60]
    assert len(lstm["kendall_tau"]) == len(lstm["spearman"]) == len(lstm["seconds"]) == 2
    # The synthetic accuracy weighs each op by its edge: the LSTM reads (edge, op) pairs (tau ~0.95 over 6 splits),
    # parameter count only counts convolutions (tau ~0.55); the margin asserted is half the gap.
    assert min(lstm["kendall_tau"]) > max(params["kendall_tau"]) + 0.2
    assert min(lstm["spearman"]) > max(params["spearman"]) + 0.1


def test_random_split_refuses_more_cells_than_the_data_holds(table):
    with pytest.raises(ConfigError, match="cannot hold out 700 and train on 60"):
        surrogate_quality(nasbench201_data(table, "val"), sizes=(60,), held_out=700, predictors=("params",))
    with pytest.raises(ConfigError, match="splits must be at least 1, got 0"):
        surrogate_quality(nasbench201_data(table, "val"), sizes=(60,), held_out=100, splits=0)


def test_nasbench201_data_encodes_every_architecture_with_fractions_and_params(table):
    data = nasbench201_data(table, "val")
    assert len(data) == len(table) == 3**6 and (data.num_inputs, data.num_ops) == (4, 5)
    assert all(len(cell) == 6 for cell in data.cells) and 0.5 <= data.targets.min() < data.targets.max() <= 0.9
    np.testing.assert_array_equal(data.features["params"], table.column("params_m"))


def test_darts_tokens_put_the_reduction_blocks_after_the_normal_ones_with_offset_tokens():
    normal = [[0, 1], [1, 2], [2, 3], [0, 4], [3, 5], [1, 6], [4, 0], [2, 1]]
    blocks = darts_tokens(normal, normal)
    assert blocks[:4] == [(0, 1, 1, 2), (2, 3, 0, 4), (3, 5, 1, 6), (4, 0, 2, 1)]
    assert blocks[4:] == [(a + 6, b + 7, c + 6, d + 7) for a, b, c, d in blocks[:4]]
    with pytest.raises(ConfigError, match="normal edge 2 is \\[3, 0\\]: node 1 takes inputs 0..2"):
        darts_tokens([[0, 0], [1, 0], [3, 0], *normal[3:]], normal)
    with pytest.raises(ConfigError, match="8 \\[input, op\\] edges, got 7"):
        darts_tokens(normal, normal[:7])


def test_load_darts_sample_reads_cells_targets_params_and_flops(tmp_path):
    path = write_darts(tmp_path / "darts.json", 12)
    document = json.loads(path.read_text())
    data = load_darts_sample(path)
    assert len(data) == 12 and (data.num_inputs, data.num_ops) == (12, 12)  # 6 ops in this file: offset 6
    first = document["cells"][0]
    assert data.cells[0] == darts_tokens(first["normal"], first["reduce"], num_ops=6)
    np.testing.assert_allclose(data.targets, [cell["val_accuracy"] / 100 for cell in document["cells"]])
    np.testing.assert_allclose(data.features["flops"], [cell["flops"] for cell in document["cells"]])
    np.testing.assert_allclose(data.feature_matrix(["params"], np.arange(2))[:, 0], data.features["params"][:2])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "is not valid JSON: Expecting property name"),
        ('{"cells": []}', "is not a DARTS sample: its 'ops' must be a list of operation names, got nothing"),
        ('{"ops": ["a"], "cells": []}', "holds no cells"),
        ('{"ops": ["a"], "cells": [{"normal": [[0, 0]], "reduce": []}]}', "cell 0: a DARTS normal cell has 8"),
    ],
)
def test_load_darts_sample_refuses_a_malformed_file_in_one_line(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as error:
        load_darts_sample(path)
    assert "\n" not in str(error.value)
    with pytest.raises(DataNotFoundError, match="not found"):
        load_darts_sample(tmp_path / "absent.json")


GOOD_EDGES = [[0, 0], [1, 1], [0, 2], [2, 3], [3, 4], [1, 5], [4, 0], [0, 1]]


def darts_document(**entry) -> str:
    """A one-cell sample with ``entry`` overriding the good cell's fields."""
    cell = {"normal": GOOD_EDGES, "reduce": GOOD_EDGES, "val_accuracy": 93.5, "params": 1.2, "flops": 500.0, **entry}
    return json.dumps({"ops": DARTS_OPS, "cells": [cell]})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"ops": [\xff\xfe]}', "not UTF-8 text"),
        ("[" * 100_000, "is not valid JSON: it nests too deeply"),
        ("[]", "is not a DARTS sample: expected a JSON object with 'ops' and 'cells' lists, got a list"),
        ('{"ops": 7, "cells": []}', "its 'ops' must be a list of operation names, got 7"),
        ('{"ops": [], "cells": []}', "its 'ops' must be a list of operation names, got []"),
        ('{"ops": [1, 2], "cells": []}', "its 'ops' must be a list of operation names, got [1, 2]"),
        ('{"ops": ["a"], "cells": {}}', "its 'cells' must be a list of cells, got {}"),
        ('{"ops": ["a"], "cells": [7]}', "cell 0: a cell is an object with normal, reduce, val_accuracy, params"),
        ('{"ops": ["a"], "cells": [{"normal": []}]}', "cell 0: it has no 'reduce'; a cell has normal, reduce"),
        (darts_document(normal=[[0.5, 1]] + GOOD_EDGES[1:]), "cell 0: normal edge 0 is [0.5, 1]: an edge is"),
        (darts_document(reduce=[[True, 1]] + GOOD_EDGES[1:]), "cell 0: reduce edge 0 is [True, 1]: an edge is"),
        (darts_document(normal=["ab"] + GOOD_EDGES[1:]), "cell 0: normal edge 0 is 'ab': an edge is"),
        (darts_document(normal=[[0, 1, 2]] + GOOD_EDGES[1:]), "cell 0: normal edge 0 is [0, 1, 2]: an edge is"),
        (
            darts_document(normal={"a": 1}),
            "cell 0: a DARTS normal cell has 8 [input, op] edges in a list, got {'a': 1}",
        ),
        (darts_document(val_accuracy="93.5"), "cell 0: 'val_accuracy' must be a finite number, got '93.5'"),
        (darts_document(params=float("nan")), "cell 0: 'params' must be a finite number, got nan"),
        (darts_document(flops=None), "cell 0: 'flops' must be a finite number, got None"),
        (darts_document(flops=int("9" * 400)), "cell 0: 'flops' must be a finite number"),
    ],
)
def test_a_darts_sample_of_wrong_bytes_depth_or_types_gives_one_config_error(tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ConfigError) as error:
        load_darts_sample(path)
    text = str(error.value)
    assert message in text and "bad.json" in text and "\n" not in text and len(text) < 400, text


def test_a_darts_sample_that_is_a_directory_is_refused_as_such(tmp_path):
    (tmp_path / "darts.json").mkdir()
    with pytest.raises(ConfigError, match="darts.json.*is a directory, not a file"):
        load_darts_sample(tmp_path / "darts.json")


@pytest.mark.skipif(not REAL_DARTS.is_file(), reason=f"no DARTS sample at {REAL_DARTS}")
def test_the_real_darts_sample_has_250_cells_of_8_blocks_with_tokens_in_range():
    data = load_darts_sample(REAL_DARTS)
    blocks = np.array(data.cells)
    assert len(data) == 250 and blocks.shape == (250, 8, 4) and (data.num_inputs, data.num_ops) == (12, 14)
    inputs, ops = blocks[..., [0, 2]], blocks[..., [1, 3]]
    assert inputs.min() == 0 and inputs.max() < 12 and ops.min() == 0 and ops.max() < 14
    assert inputs[:, :4].max() < 6 <= inputs[:, 4:].min() and ops[:, :4].max() < 7 <= ops[:, 4:].min()
    assert 0.85 < data.targets.min() < data.targets.max() < 1 and data.features["params"].min() > 0


def test_kfold_indices_are_disjoint_and_cover_every_row():
    splits = kfold_indices(23, 5, seed=3)
    tests = [test for _, test in splits]
    assert len(splits) == 5 and sorted(np.concatenate(tests).tolist()) == list(range(23))
    assert sorted(len(test) for test in tests) == [4, 4, 5, 5, 5]
    for train, test in splits:
        assert not set(train) & set(test) and len(train) + len(test) == 23
    with pytest.raises(ConfigError, match="2 to 3 folds"):
        kfold_indices(3, 4)


def test_cross_validation_quality_fits_each_training_part_and_its_first_n_rows(tmp_path):
    data = load_darts_sample(write_darts(tmp_path / "darts.json", 40))
    report = cross_validation_quality(data, folds=5, sizes=(10, 50), predictors=("params", "forest"), progress=False)
    assert report["mode"] == "cross_validation" and report["evaluated_folds"] == 5 and report["sizes"] == [10, 32]
    assert report["rows"] == {10: {"train": 10, "test": 8}, 32: {"train": 32, "test": 8}}
    forest = report["predictors"]["forest"]
    assert len(forest[10]["kendall_tau"]) == len(forest[32]["kendall_tau"]) == 5
    # The target follows the first normal node's ops, which the forest sees; params are noise. Over 5 samples the
    # forest leads by 0.48 to 0.57; the margin asserted is half that.
    lead = mean_se(forest[32]["kendall_tau"])[0] - mean_se(report["predictors"]["params"][32]["kendall_tau"])[0]
    assert lead > 0.25
    short = cross_validation_quality(data, folds=5, sizes=(), max_folds=2, predictors=("params",), progress=False)
    assert short["evaluated_folds"] == 2 and len(short["predictors"]["params"][32]["spearman"]) == 2


def test_extrapolation_fits_every_cell_up_to_level_b_and_ranks_level_b_plus_1(table):
    report = extrapolation_quality(table, "val", seeds=2, predictors=("params", "forest"), progress=False)
    # 3 ops: 3 level-1 cells; 27 level-2 cells; 27 * 27 = 729 level-3 cells.
    assert report["mode"] == "extrapolation" and report["column"] == "val"
    assert report["rows"] == {2: {"train": 3, "test": 27}, 3: {"train": 30, "test": 729}}
    params, forest = report["predictors"]["params"], report["predictors"]["forest"]
    assert params[2]["kendall_tau"][0] == params[2]["kendall_tau"][1]  # deterministic
    assert all(-1 <= tau <= 1 for level in (2, 3) for tau in forest[level]["kendall_tau"])
    assert len(forest[3]["spearman"]) == 2 and min(forest[3]["spearman"]) > 0.3  # learns something from 30 cells


def test_extrapolation_refuses_a_table_without_the_partial_cells(tmp_path):
    path = write_table(tmp_path / "table.csv", OPS)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if "skip_connect~1|+|none~0|none~1|skip_connect~2" not in line))
    with pytest.raises(ConfigError, match="lacks"):
        extrapolation_quality(BenchmarkTable(path), "val", seeds=1, predictors=("params",), progress=False)


def test_random_forest_ranks_a_target_of_the_blocks_that_params_do_not_carry():
    rng = np.random.default_rng(0)
    cells = [
        [tuple(int(v) for v in rng.integers(3, size=4)) for _ in range(int(rng.integers(1, 4)))] for _ in range(300)
    ]
    weights = rng.normal(size=(3, 3))  # (position, op_1)
    targets = np.array([0.5 + 0.05 * sum(weights[p, block[1]] for p, block in enumerate(cell)) for cell in cells])
    data = QualityData(cells, targets, 3, 3, {"params": rng.uniform(size=300)})
    train, test = np.arange(200), np.arange(200, 300)
    forest = rank_correlations(PREDICTORS["forest"](data, train, test, 0), targets[test])
    params = rank_correlations(params_predictor(data, train, test, seed=0), targets[test])
    assert forest["kendall_tau"] > 0.5 and abs(params["kendall_tau"]) < 0.2  # 0.88..0.98, |tau| < 0.07 (4 seeds)
    forest = PREDICTORS["forest"]
    np.testing.assert_array_equal(forest(data, train, test, 0), forest(data, train, test, 0))


def test_rank_correlations_of_a_constant_prediction_are_zero():
    assert rank_correlations([1, 1, 1], [0.1, 0.2, 0.3]) == {"kendall_tau": 0.0, "spearman": 0.0}
    assert rank_correlations([1, 2, 3], [0.1, 0.2, 0.3]) == pytest.approx({"kendall_tau": 1.0, "spearman": 1.0})
    assert mean_se([1.0, 3.0]) == pytest.approx((2.0, 1.0)) and np.isnan(mean_se([1.0])[1])


class _Recording:
    """A stand-in surrogate ranking cells by their first side feature (or 0), recording what it was given."""

    calls: list = []

    def __init__(self, num_inputs, num_ops, seed=0):
        self.seed = seed

    def fit(self, cells, targets, features=None):
        self.calls.append(("fit", len(cells), None if features is None else np.shape(features)))
        return self

    def predict(self, cells, features=None):
        self.calls.append(("predict", len(cells), None if features is None else np.shape(features)))
        scores = np.zeros(len(cells)) if features is None else np.asarray(features)[:, 0]
        return scores, np.zeros(len(cells))


def test_side_feature_variants_pass_the_features_to_fit_and_predict(monkeypatch):
    from pnas.benchmark.predictors import surrogate_predictor
    from surrogate import SURROGATES

    monkeypatch.setitem(SURROGATES, "recording", _Recording)
    monkeypatch.setattr(_Recording, "calls", [])
    data = QualityData([[(0, 0, 0, 0)]] * 6, np.linspace(0.5, 0.9, 6), 1, 1, {"params": np.arange(6.0)})
    train, test = np.arange(4), np.arange(4, 6)
    assert surrogate_predictor("recording")(data, train, test, 0).tolist() == [0, 0]
    assert surrogate_predictor("recording", ("params",))(data, train, test, 0).tolist() == [4, 5]
    assert _Recording.calls == [("fit", 4, None), ("predict", 2, None), ("fit", 4, (4, 1)), ("predict", 2, (2, 1))]
    with pytest.raises(ConfigError, match="no side feature 'flops'"):
        surrogate_predictor("recording", ("flops",))(data, train, test, 0)
    assert {"lstm+params", "mlp+params"} <= set(PREDICTORS)
    with pytest.raises(ConfigError, match="unknown predictor 'gbm'"):
        resolve_predictors(["params", "gbm"])


def test_the_script_prints_a_table_per_mode_and_writes_the_figures(table, tmp_path):
    spec = importlib.util.spec_from_file_location(
        "surrogate_quality_script", ROOT / "benchmarks" / "surrogate_quality.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    darts, out = write_darts(tmp_path / "darts.json", 30), tmp_path / "quality.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        script.main(["--table", str(table.path), "--darts", str(darts), "--column", "val", "--sizes", "20",
                     "--held-out", "100", "--splits", "2", "--predictors", "params,forest", "--json", str(out),
                     "--no-progress"])  # fmt: skip
        script.main(["--space", "darts", "--darts", str(tmp_path / "absent.json"), "--no-progress"])
    text = printed.getvalue()
    assert "Machine: " in text and "Runtime: " in text and "Skipping DARTS: no sample at" in text
    for heading in ("random split", "extrapolation", "cross-validation"):
        assert heading in text
    assert "| level ranked | fit on (N) | rank |" in text and "| 3 | 30 | 729 |" in text
    assert "| fit on (N) | rank | Kendall params | Kendall forest | Spearman params | Spearman forest |" in text
    document = json.loads(out.read_text())
    assert set(document["reports"]) == {
        "nasbench201/random_split",
        "nasbench201/extrapolation",
        "darts/cross_validation",
    }
    assert document["reports"]["darts/cross_validation"]["rows"] == {
        "20": {"train": 20, "test": 6},
        "24": {"train": 24, "test": 6},
    }


def write_proxies(path: Path, table: BenchmarkTable, skip: int = 0) -> Path:
    """A proxy table for ``table``'s cells (all but the first ``skip``): synflow is the signal, the rest noise."""
    rng = np.random.default_rng(0)
    with path.open("w") as file:
        file.write("index,arch,synflow,naswot,snip,grad_norm,seconds\n")
        for index, arch in enumerate(table.architectures[skip:], start=skip):
            noise = rng.normal(size=3)
            file.write(f"{index},{arch},{table.value(arch, 'val')},{noise[0]},{noise[1]},{noise[2]},0.1\n")
    return path


def test_zero_cost_proxies_become_side_features_of_every_cell(table, tmp_path):
    proxies = BenchmarkTable(write_proxies(tmp_path / "proxies.csv", table))
    data = nasbench201_data(table, "val", proxies=proxies)
    assert set(data.features) == {"params", "synflow", "naswot", "snip", "grad_norm"}
    np.testing.assert_allclose(data.features["synflow"], table.column("val"))
    order = np.random.default_rng(0).permutation(len(data))
    train, test = order[:60], order[400:]
    assert rank_correlations(PREDICTORS["synflow"](data, train, test, 0), data.targets[test])["kendall_tau"] > 0.999
    blocks_only = rank_correlations(PREDICTORS["forest"](data, train, test, 0), data.targets[test])["kendall_tau"]
    with_proxies = rank_correlations(PREDICTORS["forest+proxies"](data, train, test, 0), data.targets[test])
    assert with_proxies["kendall_tau"] > max(blocks_only + 0.03, 0.93)  # the signal itself is a feature: .96 vs .89
    report = extrapolation_quality(table, "val", seeds=1, predictors=("synflow",), progress=False, proxies=proxies)
    assert report["predictors"]["synflow"][3]["kendall_tau"][0] > 0.999


def test_a_cell_missing_from_the_proxy_table_is_named(table, tmp_path):
    proxies = BenchmarkTable(write_proxies(tmp_path / "proxies.csv", table, skip=1))
    with pytest.raises(ConfigError, match=r"no zero-cost proxies for .*recompute the proxy table"):
        nasbench201_data(table, "val", proxies=proxies)
    with pytest.raises(ConfigError, match="no side feature 'synflow'"):
        PREDICTORS["synflow"](nasbench201_data(table, "val"), np.arange(3), np.arange(3, 6), 0)
