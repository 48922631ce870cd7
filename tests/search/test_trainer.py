from __future__ import annotations

import pytest

from pnas.data import DigitsDataModule
from pnas.errors import ConfigError
from pnas.module import PNASModule
from pnas.search import ProgressiveSearch, SearchTrainer, Tracking
from tests.conftest import TINY_TRAINER_KWARGS, tiny_search


def test_same_seed_gives_the_same_trained_candidates(tmp_path):
    first, second = tiny_search(tmp_path / "a"), tiny_search(tmp_path / "b")
    assert [(c.cell, c.value) for c in first.candidates] == [(c.cell, c.value) for c in second.candidates]
    assert len(first.candidates) == 5 and first.test_value == second.test_value
    other = tiny_search(tmp_path / "c", seed=1)
    assert [c.cell for c in other.candidates] != [c.cell for c in first.candidates]


def test_candidates_use_the_template_and_trainer_settings(tmp_path):
    result = tiny_search(tmp_path)
    expected = PNASModule(result.best_cell, num_classes=10, in_channels=1, num_cells=1, filters=4).num_parameters
    best = next(c for c in result.candidates if c.cell == result.best_cell.to_string())
    assert best.parameters == expected
    config = (tmp_path / "config.yaml").read_text()
    assert "max_epochs: 1" in config and "filters: 4" in config and "beam_size: 2" in config


def test_candidates_that_log_no_validation_accuracy_stop_the_search(tmp_path):
    trainer = SearchTrainer(**{**TINY_TRAINER_KWARGS, "limit_val_batches": 0})
    template = PNASModule(num_classes=10, in_channels=1, num_cells=1, filters=4)
    with pytest.raises(ConfigError, match="logged no val/acc"):
        trainer.search(
            template,
            DigitsDataModule(),
            ProgressiveSearch(max_blocks=1, initial_cells=2),
            run_dir=tmp_path,
            progress=False,
            tracking=Tracking(mode="disabled"),
        )
