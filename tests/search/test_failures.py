"""Failed candidates are contained; bad settings, data and files get a specific error."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
import torch

from pnas.cli import main
from pnas.errors import ConfigError, SearchFailedError
from pnas.search import ProgressiveSearch, run_search
from pnas.search.store import StoreError
from pnas.space import one_block_cells
from tests.conftest import tiny_search
from tests.search.objectives import ObjectiveEvaluator


def test_too_many_failures_in_a_row_stop_the_search(tmp_path):
    evaluator = ObjectiveEvaluator(max_blocks=2, failing=set(one_block_cells()))
    with pytest.raises(SearchFailedError, match="3 candidates failed in a row, the last with 'RuntimeError: CUDA out"):
        run_search(ProgressiveSearch(max_blocks=2), evaluator, tmp_path, progress=False, max_consecutive_failures=3)
    assert len(evaluator.calls) == 3
    assert (tmp_path / "candidates.csv").read_text().count(",failed,") == 3


def test_nan_loss_fails_the_candidate_and_the_search_goes_on(tmp_path):
    exploding = {"optimizer": lambda params: torch.optim.SGD(params, lr=1e12)}
    result = tiny_search(tmp_path, model_kwargs=exploding, max_blocks=1, max_consecutive_failures=10)
    assert [record.status for record in result.candidates] == ["failed"] * 3
    assert all("non-finite training loss" in record.error for record in result.candidates)


def test_larger_max_blocks_resumes_but_other_settings_are_refused(tmp_path):
    first = tiny_search(tmp_path, max_blocks=2)
    extended = tiny_search(tmp_path, max_blocks=3)
    assert extended.candidates[:5] == first.candidates  # replayed from the store, surrogate and all
    assert len(extended.candidates) == 7 and {c.step for c in extended.candidates[5:]} == {3}
    with pytest.raises(ConfigError, match=r"other settings \(strategy: .*'beam_size': 2.*'beam_size': 4"):
        tiny_search(tmp_path, max_blocks=2, beam_size=4)


def fingerprint(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_garbage(path):
    path.write_bytes(b"this is not a database" * 100)


def write_foreign_sqlite(path):
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE songs (title TEXT)")
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    ("make", "message"),
    [(write_garbage, "is not a pnas search store .* left untouched"), (write_foreign_sqlite, "no such table: meta")],
    ids=["corrupt", "foreign"],
)
def test_corrupt_or_foreign_store_gives_a_clear_error_and_stays_unchanged(tmp_path, make, message):
    store = tmp_path / "search.sqlite"
    make(store)
    before = fingerprint(store)
    with pytest.raises(StoreError, match=message):
        tiny_search(tmp_path)
    assert fingerprint(store) == before


def test_unwritable_run_dir(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(ConfigError, match="cannot create run_dir .*a-file/run"):
        tiny_search(blocker / "run")


def test_data_that_does_not_fit_the_model(tmp_path):
    with pytest.raises(ConfigError, match=r"batches have shape \(64, 1, 8, 8\), expected \(batch, 3, height, width\)"):
        tiny_search(tmp_path, model_kwargs={"in_channels": 3})
    with pytest.raises(ConfigError, match="labels reach 9, but num_classes=5"):
        tiny_search(tmp_path / "b", model_kwargs={"num_classes": 5})


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--trainer.max_epochs=-5"], "max_epochs"),
        (["--trainer.max_epochs=-1"], "max_epochs (epochs per candidate) must be >= 1"),
        (["--beam_size=0"], "beam_size"),
        (["--max_blocks=0"], "max_blocks"),
        (["--max_consecutive_failures=0"], "max_consecutive_failures must be >= 1"),
        (["--run_dir=/dev/null/run"], "cannot create run_dir /dev/null/run"),
    ],
)
def test_bad_search_settings_are_one_line_at_the_cli(tmp_path, capsys, args, message):
    config = [
        "search",
        "--config",
        str(ROOT / "configs/search/digits.yaml"),
        f"--run_dir={tmp_path}",
        "--wandb=disabled",
    ]
    with pytest.raises(SystemExit) as exit_info:
        main([*config, *args])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("pnas: error: ") and message in err and "Traceback" not in err
