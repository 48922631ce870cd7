"""Failed candidates are contained; bad settings, data and files get a specific error."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
import torch

from pnas.errors import ConfigError, SearchFailedError, StoreError
from pnas.search import ProgressiveSearch, run_search
from pnas.space import one_block_cells
from tests.conftest import cli_error, tiny_search
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
    with pytest.raises(ConfigError) as refused:
        tiny_search(tmp_path, max_blocks=3, beam_size=4)
    message = str(refused.value)
    assert "other settings (strategy.beam_size: 2 -> 4)" in message and len(message.splitlines()) == 1
    with pytest.raises(ConfigError, match="holds a search of 3 steps .* may have more steps, not fewer"):
        tiny_search(tmp_path, max_blocks=2)
    assert [c.cell for c in tiny_search(tmp_path, max_blocks=3).candidates] == [c.cell for c in extended.candidates]


def test_the_errors_of_the_readme_table_import_from_where_it_says():
    import pnas
    from pnas.errors import StoreError

    for name in ("GenotypeError", "ConfigError", "DataNotFoundError", "SearchFailedError"):
        assert issubclass(getattr(pnas, name), pnas.PNASError) and name in pnas.__all__
    assert issubclass(StoreError, pnas.PNASError)


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
    [
        (write_garbage, "is not a readable pnas search store .* nothing was changed"),
        (write_foreign_sqlite, "no such table: meta"),
    ],
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
        (["--strategy.beam_size=0"], "beam_size"),
        (["--strategy.max_blocks=0"], "max_blocks"),
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
        "--tracking.mode=disabled",
    ]
    assert message in cli_error(capsys, [*config, *args])


def test_a_directory_of_other_files_is_not_taken_over(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "best_candidate.pt").write_bytes(b"someone else's")
    with pytest.raises(ConfigError, match=r"is not empty \(best_candidate.pt, notes.txt\) and holds no pnas search"):
        tiny_search(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best_candidate.pt", "notes.txt"]
    assert (tmp_path / "best_candidate.pt").read_bytes() == b"someone else's"


def test_an_empty_run_dir_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="run_dir is empty"):
        tiny_search("")
    assert list(tmp_path.iterdir()) == []  # nothing written into the current directory
