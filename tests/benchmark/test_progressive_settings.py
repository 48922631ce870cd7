"""``benchmarks/progressive_settings.py``: settings laid over the defaults, run on the development seeds."""

from __future__ import annotations

import json

import pytest

from pnas.errors import ConfigError
from tests.benchmark.tables import write_table
from tests.benchmark.test_diagnosis import script


def test_a_variant_is_a_label_and_settings_laid_over_the_defaults():
    parse = script("progressive_settings").parse_variant
    assert parse("default") == ("default", {})
    assert parse("wide: beam_size=8, exploration=0.5,climb_round=none, surrogate=mlp") == (
        "wide",
        {"beam_size": 8, "exploration": 0.5, "climb_round": None, "surrogate": "mlp"},
    )
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse("broken:beam_size")


def test_the_comparison_runs_each_variant_and_the_baselines_on_the_development_seeds(tmp_path, capsys):
    table = write_table(tmp_path / "table.csv", ("none", "skip_connect", "nor_conv_3x3"))
    argv = ["--table", str(table), "--signal", "val", "--runs", "1", "--workers", "1", "--json", str(tmp_path / "f")]
    figures = script("progressive_settings").main([*argv, "--variant", "mlp:surrogate=mlp,climb_round=none"])
    assert set(figures["variants"]) == {"mlp", "local search", "REA"} and figures["seeds"] == [10000]
    for means in (variant["signal"] for variant in figures["variants"].values()):
        best = [mean for mean, _ in means]
        assert best == sorted(best) and 0 < best[-1] <= 100  # best-so-far, in %
    written = json.loads((tmp_path / "f").read_text())["variants"]["mlp"]["signal"]
    assert [mean for mean, _ in written] == [mean for mean, _ in figures["variants"]["mlp"]["signal"]]  # SE: NaN
    assert "| mlp |" in capsys.readouterr().out
