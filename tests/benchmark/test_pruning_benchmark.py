"""``benchmarks/pruning.py``, on two tiny digits searches: it counts what each trained and compares the answers."""

from __future__ import annotations

import json

from tests.benchmark.test_diagnosis import script

TINY = (
    "--strategy.max_blocks=1 --strategy.initial_cells=6 --trainer.max_epochs=3 --trainer.limit_train_batches=2 "
    "--model.filters=4 --execution.workers=1"
)
#: The search has one step, which is its last: the pruner is told to prune it all the same.
PRUNER = "--pruner SuccessiveHalving --pruner.prune_last_step true"


def test_the_pruning_benchmark_counts_candidate_epochs_and_compares_answers(tmp_path, capsys):
    arguments = ["--seeds", "0", "--search-args", TINY, "--pruner-args", PRUNER, "--json", str(tmp_path / "f.json")]
    figures = script("pruning").main(arguments)
    full, pruned = figures["runs"]["none"][0], figures["runs"]["successive_halving"][0]
    assert full["candidate_epochs"] == 6 * 3  # every candidate, every epoch
    assert pruned["candidate_epochs"] == 6 * 1 + 2 * 2  # all for a rung of 1 epoch, the best third on to 3
    assert 0 < full["best_value"] <= 1 and 0 < pruned["best_value"] <= 1
    assert json.loads((tmp_path / "f.json").read_text())["search_args"] == TINY
    assert "answers within 0.5 points:" in capsys.readouterr().out
