"""Hard limits on costs known before training: cells over a limit are never proposed nor trained."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from pnas.errors import ConfigError
from pnas.nn import build_network
from pnas.search.constraints.limits import CellConstraints, CostLimits, LatencyLimit
from pnas.search.strategies.progressive import ProgressiveSearch
from pnas.space import OP_INDEX, expand_beam, one_block_cells
from tests.conftest import cli_error, tiny_search
from tests.search.cli_searches import ROOT


def separable_count(tokens) -> dict[str, np.ndarray]:
    """A stand-in cost: the number of sep_conv_3x3 ops of each cell, as 'params'; 'macs' ten times that."""
    real = np.arange(tokens.blocks.shape[1])[None, :] < tokens.lengths[:, None]
    ops = tokens.blocks[:, :, [1, 3]] == OP_INDEX["sep_conv_3x3"]
    count = (ops & real[:, :, None]).sum(axis=(1, 2))
    # every real cell costs something: 1 + the count, so max_params=1 admits exactly the cells without sep_conv_3x3
    return {"params": 1 + count, "macs": 10 * (1 + count)}


def test_cells_over_a_limit_are_never_proposed_and_are_counted():
    strategy = ProgressiveSearch(
        max_blocks=2,
        beam_size=5,
        surrogate="mlp",
        constraints=CellConstraints(limits=CostLimits(separable_count, max_params=1)),
    )
    first = strategy.propose()
    with_sep = [c for c in one_block_cells() if "sep_conv_3x3" in str(c)]
    assert first.excluded == len(with_sep) and len(first.cells) == 136 - len(with_sep)
    assert all("sep_conv_3x3" not in str(cell) for cell in first.cells)
    strategy.observe(first.cells, [float(i % 7) for i in range(len(first.cells))])
    second = strategy.propose()
    assert len(second.cells) == 5 and all("sep_conv_3x3" not in str(cell) for cell in second.cells)
    assert 0 < second.excluded < second.children_scored
    assert strategy.settings()["limits"] == {"max_params": 1}


def test_a_limit_nothing_fits_is_one_line_naming_it_and_the_smallest_cost():
    limits = CostLimits(separable_count, max_params=1, max_macs=5)
    with pytest.raises(ConfigError) as error:
        ProgressiveSearch(max_blocks=2, constraints=CellConstraints(limits=limits)).propose()
    message = str(error.value)
    assert "\n" not in message and message.startswith("no cell of step 1 fits max_macs=5 (the smallest has 10")
    assert "max_params" not in message  # that one alone would leave cells
    with pytest.raises(ConfigError, match="unknown limit 'max_latency'"):
        CostLimits(separable_count, max_latency=3)
    with pytest.raises(ConfigError, match="max_params must be >= 1"):
        CostLimits(separable_count, max_params=0)


def test_a_digits_search_under_max_params_trains_only_cells_within_it(tmp_path):
    limit = 3_000  # about the median 1-block digits network (N=1, F=4): 774 to 10,742 parameters
    result = tiny_search(tmp_path / "run", max_params=limit, initial_cells=8, beam_size=2)
    with open(tmp_path / "run" / "candidates.csv") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len(result.candidates) > 0
    assert all(int(row["parameters"]) <= limit for row in rows)
    for row in rows:  # the counted parameters are the built network's
        assert (
            int(row["parameters"])
            == build_network(row["cell"], 10, in_channels=1, num_cells=1, filters=4).num_parameters
        )
    with open(tmp_path / "run" / "steps.csv") as file:
        steps = list(csv.DictReader(file))
    assert int(steps[0]["excluded"]) > 0 and int(steps[1]["excluded"]) > 0


def test_a_too_tight_limit_at_the_cli_is_one_line(tmp_path, capsys):
    args = [
        "search",
        "--config",
        str(ROOT / "configs/search/digits.yaml"),
        "--constraints.max_params=10",
        "--model.filters=4",
    ]
    err = cli_error(capsys, [*args, f"--run_dir={tmp_path / 'run'}", "--tracking.mode=disabled", "--progress=false"])
    assert len(err.strip().splitlines()) == 1 and "max_params=10 (the smallest has" in err
    assert not (tmp_path / "run" / "search.sqlite").exists()  # refused before anything was written


def test_pareto_mode_proposes_the_predicted_front_then_tops_up_by_score():
    from pnas.search.strategies.scoring import front_first

    score = np.array([0.9, 0.8, 0.85, 0.7, 0.6, -np.inf, 0.5])
    cost = np.array([10, 12, 8, 9, 3, 1, 3])
    order = np.argsort(-score, kind="stable")  # 0, 2, 1, 3, 4, 6, 5
    # front by score: 0 (10), 2 (8 < 10), 4 (3 < 8); 1, 3 and 6 are not cheaper; 5 is over a limit
    assert front_first(order, cost, score, lambda row: False).tolist() == [0, 2, 4, 1, 3, 6, 5]
    # an evaluated cell neither joins nor sets the bar: without 2, 3 (9 < 10) joins
    assert front_first(order, cost, score, lambda row: row == 2).tolist()[:3] == [0, 3, 4]


def test_a_pareto_step_is_the_predicted_front_then_the_best_predicted():
    strategy = ProgressiveSearch(
        max_blocks=2, beam_size=6, surrogate="mlp", constraints=CellConstraints(pareto_cost=("params", separable_count))
    )
    first = strategy.propose()
    # sep_conv_3x3 raises accuracy here, and cost: the best predicted children are the dearest
    accuracies = [str(cell).count("sep_conv_3x3") + 0.01 * (i % 5) for i, cell in enumerate(first.cells)]
    strategy.observe(first.cells, accuracies)
    second = strategy.propose()
    # The rule written out plainly: children best predicted first; keep each that is cheaper than the last kept.
    children = expand_beam(strategy.beam)
    predicted, _ = strategy.surrogate.predict([child.to_tokens() for child in children])
    ranked = [children[i] for i in np.argsort(-predicted, kind="stable")]
    cost = {child: 1 + str(child).count("sep_conv_3x3") for child in children}
    front: list = []
    for child in ranked:
        if not front or cost[child] < cost[front[-1]]:
            front.append(child)
    expected = list(dict.fromkeys([*front, *ranked]))[:6]
    assert len(front) >= 2 and expected != ranked[:6]  # the front changes what a plain top-K would take
    assert second.cells == expected
    assert strategy.settings()["pareto_cost"] == "params"


def test_a_pareto_search_on_digits_writes_the_front_after_every_step(tmp_path):
    import json

    from pnas.search.constraints.pareto import pareto_front

    run_dir = tmp_path / "run"
    tiny_search(run_dir, objectives=["val/acc", "params"], initial_cells=6, beam_size=3)
    summary = json.loads((run_dir / "pareto.json").read_text())
    assert summary["objectives"] == {"val/acc": "max", "params": "min"}
    hypervolume = summary["hypervolume"]
    assert set(hypervolume) == {"1", "2"} and 1 > hypervolume["2"] >= hypervolume["1"] > 0  # a share of the box
    assert json.loads((run_dir / "result.json").read_text())["front"] == summary["front"]
    with open(run_dir / "candidates.csv") as file:
        trained = [row for row in csv.DictReader(file) if row["status"] == "ok"]
    points = [(float(row["value"]), int(row["parameters"])) for row in trained]
    expected = {trained[i]["cell"] for i in pareto_front(points, (True, False))}
    assert {member["cell"] for member in summary["front"]} == expected  # the front of every trained candidate
    assert all(
        member["params"] == int(next(r["parameters"] for r in trained if r["cell"] == member["cell"]))
        for member in summary["front"]
    )
    assert sorted(p.name for p in (run_dir / "pareto").glob("*.json")) == [
        f"{i:02d}.json" for i in range(1, len(expected) + 1)
    ]
    assert (run_dir / "pareto.png").stat().st_size > 0
    with open(run_dir / "pareto.csv") as file:
        assert len(list(csv.DictReader(file))) == len(expected)


def test_objectives_must_be_the_monitor_and_a_known_cost(tmp_path):
    with pytest.raises(ConfigError, match="objectives must be \\[val/acc, cost\\]"):
        tiny_search(tmp_path / "run", objectives=["val/acc", "latency"])


def test_a_latency_limit_skips_slow_cells_as_they_come_and_counts_them():

    measured = []

    def latency(cell):  # a stand-in: 1 ms per sep_conv_3x3
        measured.append(cell)
        return float(str(cell).count("sep_conv_3x3"))

    strategy = ProgressiveSearch(
        max_blocks=2,
        beam_size=5,
        surrogate="mlp",
        constraints=CellConstraints(latency_limit=LatencyLimit(latency, 0.5)),
    )
    first = strategy.propose()
    with_sep = [c for c in one_block_cells() if "sep_conv_3x3" in str(c)]
    assert first.excluded == len(with_sep) and all("sep_conv_3x3" not in str(c) for c in first.cells)
    strategy.observe(first.cells, [float(i % 7) for i in range(len(first.cells))])
    measured.clear()
    second = strategy.propose()
    assert len(second.cells) == 5 and all("sep_conv_3x3" not in str(c) for c in second.cells)
    assert second.excluded == len(measured) - 5 < second.children_scored  # only the cells about to be proposed
    assert strategy.settings()["latency_limit"] == {"max_latency_ms": 0.5, "latency_device": "cpu"}


def test_a_latency_limit_nothing_fits_is_one_line_naming_it_and_the_fastest():

    limit = LatencyLimit(lambda cell: 3.0 + str(cell).count("sep_conv_3x3"), 2)
    with pytest.raises(ConfigError) as error:
        ProgressiveSearch(max_blocks=2, constraints=CellConstraints(latency_limit=limit)).check_limits()
    message = str(error.value)
    assert "\n" not in message and message.startswith("no cell of step 1 fits max_latency_ms=2 (the fastest takes 3 ms")
    with pytest.raises(ConfigError, match="max_latency_ms must be > 0"):
        LatencyLimit(lambda cell: 1.0, 0)
    later = ProgressiveSearch(
        max_blocks=2,
        surrogate="mlp",
        constraints=CellConstraints(latency_limit=LatencyLimit(lambda c: len(c.blocks), 1.5)),
    )
    first = later.propose()
    later.observe(first.cells, [float(i % 5) for i in range(len(first.cells))])
    with pytest.raises(ConfigError, match=r"^no cell of step 2 fits max_latency_ms=1.5 \(the fastest takes 2 ms"):
        later.propose()  # every 2-block child is too slow: one line, not a silent end


def test_a_digits_search_under_max_latency_ms_trains_only_cells_measured_within_it(tmp_path):
    import json

    from pnas.nn.costs import CellCosts
    from pnas.nn.latency import CellLatency

    costs = CellCosts(10, (1, 8, 8), 1, num_cells=1, filters=4)
    probe = CellLatency(costs.network_of, (1, 8, 8), repeats=3, warmup=1)  # a rough median is enough here
    times = sorted(probe.of_cell(cell) for cell in one_block_cells())
    limit = times[len(times) // 2]  # about half the 1-block networks are slower
    result = tiny_search(tmp_path / "run", max_latency_ms=limit, initial_cells=8, beam_size=2)
    measured = json.loads((tmp_path / "run" / "latency.json").read_text())
    assert len(result.candidates) == 8 + 2
    assert all(measured[str(candidate.cell)] <= limit for candidate in result.candidates)
    with open(tmp_path / "run" / "steps.csv") as file:
        excluded = sum(int(step["excluded"]) for step in csv.DictReader(file))
    # only the cells about to be proposed were timed: each was trained, or counted as over the limit
    assert len(measured) == len(result.candidates) + excluded < 136
    assert sum(ms > limit for ms in measured.values()) == excluded
