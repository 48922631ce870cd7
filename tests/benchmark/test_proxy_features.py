"""Zero-cost proxies as a benchmark search's side features: looked up per cell, their compute time charged once."""

from __future__ import annotations

import numpy as np
import pytest

from pnas.benchmark import make_strategy, run_strategy
from pnas.benchmark.nb201_table import nasbench201_space
from pnas.benchmark.proxies import ProxyTableFeatures
from pnas.benchmark.table import BenchmarkTable, TableEvaluator
from pnas.errors import ConfigError
from pnas.search.spaces.nasbench201 import NB201Cell
from tests.benchmark.tables import signal, write_table

OPS = ("none", "skip_connect", "nor_conv_3x3")
SECONDS_PER_CELL = 10_000.0  # far above the seconds a tiny search takes on any machine, so a charge stands out


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """The synthetic table, and a proxy table whose synflow is the signal and whose cells each cost 10,000 s."""
    folder = tmp_path_factory.mktemp("proxies")
    table = BenchmarkTable(write_table(folder / "table.csv", OPS))
    proxies = folder / "proxies.csv"
    rng = np.random.default_rng(0)
    lines = ["index,arch,synflow,naswot,snip,grad_norm,seconds"]
    for index, arch in enumerate(table.architectures):
        noise = ", ".join(f"{value:.4f}" for value in rng.normal(size=3))
        lines.append(f"{index},{arch},{signal(NB201Cell.from_arch(arch)):.4f},{noise},{SECONDS_PER_CELL}")
    proxies.write_text("\n".join(lines) + "\n")
    return table, proxies


def test_features_are_the_proxies_of_each_cell_and_each_cell_is_charged_once(tables):
    table, proxies = tables
    features = ProxyTableFeatures(proxies)
    cells = [NB201Cell.from_arch(arch) for arch in table.architectures[:3]]
    values = features(cells)
    assert values.shape == (3, 4)
    np.testing.assert_allclose(values[:, 0], [signal(cell) for cell in cells], atol=1e-4)
    assert features.seconds == 3 * SECONDS_PER_CELL
    features(cells[:2] + [NB201Cell.from_arch(table.architectures[5])])
    assert features.seconds == 4 * SECONDS_PER_CELL
    with pytest.raises(KeyError):
        features([NB201Cell(("nor_conv_1x1",) * 6)])


def test_a_table_without_the_proxy_columns_is_refused(tables):
    table, _ = tables
    with pytest.raises(ConfigError, match="no column 'synflow'"):
        ProxyTableFeatures(table.path)


@pytest.mark.parametrize("surrogate", ["mlp", "forest"])
def test_a_search_takes_the_proxies_from_40_cells_on_and_charges_their_time_to_its_wall_clock(tables, surrogate):
    table, proxies = tables
    evaluator, space = TableEvaluator(table, "val", "test"), nasbench201_space(table)
    settings = {"surrogate": surrogate, "beam_size": 2, "batch_size": 10}
    strategy = make_strategy("progressive", space, 60, 0, proxies=str(proxies), **settings)
    assert strategy.settings()["side_features"] == "zero-cost proxies"
    trajectory = run_strategy(strategy, evaluator, 60)
    # 4 proxies: the surrogate is fitted on the cells alone until 40 are known, and no proxy is asked for.
    assert max(entry.seconds for entry in trajectory[:40]) < SECONDS_PER_CELL
    assert trajectory[-1].seconds >= 40 * SECONDS_PER_CELL and strategy._fitted_with_features
    real = trajectory[-1].seconds - strategy.side_features.seconds  # the rest is this machine's time: seconds
    assert 0 <= real < SECONDS_PER_CELL
    plain = run_strategy(make_strategy("progressive", space, 60, 0, **settings), evaluator, 60)
    assert plain[-1].seconds < SECONDS_PER_CELL
