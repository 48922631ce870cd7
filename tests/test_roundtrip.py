"""search -> best_genotype.json -> pnas fit with it -> checkpoint -> reload -> the same test accuracy."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import pytorch_lightning as pl

from pnas.cli import main
from pnas.data import DigitsDataModule
from pnas.module import PNASModule
from pnas.space import load_genotype
from tests.conftest import TINY_FIT_ARGS, TINY_TRAINER_KWARGS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.filterwarnings("ignore:The dirpath has changed")
def test_search_export_fit_reload_same_test_accuracy(tmp_path):
    run_dir = tmp_path / "search"
    search = ["search", "--config", str(ROOT / "configs/search/digits.yaml"), f"--run_dir={run_dir}"]
    tiny = [
        "--strategy.max_blocks=2",
        "--strategy.beam_size=2",
        "--strategy.initial_cells=3",
        "--trainer.max_epochs=1",
        "--model.filters=4",
    ]
    main(
        [
            *search,
            *tiny,
            "--trainer.limit_train_batches=2",
            "--progress=false",
            "--tracking.mode=disabled",
            "--execution.workers=1",
        ]
    )
    found = load_genotype(run_dir / "best_genotype.json")

    fit = ["fit", "--config", str(ROOT / "configs/fit/pnasnet5_digits.yaml"), *TINY_FIT_ARGS]
    main(
        [
            *fit,
            f"--model.genotype={run_dir / 'best_genotype.json'}",
            "--model.num_cells=2",
            "--model.filters=6",
            f"--trainer.logger.init_args.save_dir={tmp_path}",
        ]
    )
    version = tmp_path / "pnasnet5_digits/version_0"
    with open(version / "metrics.csv", newline="") as handle:
        test_value = next(float(row["test/acc"]) for row in csv.DictReader(handle) if row.get("test/acc"))

    model = PNASModule.load_from_checkpoint(version / "checkpoints/best.ckpt")
    assert model.genotype == found and model.hparams.num_cells == 2 and model.hparams.filters == 6
    # On the command line "--trainer.limit_test_batches=1" parses as 1.0: the whole test split, as here.
    trainer = pl.Trainer(**{**TINY_TRAINER_KWARGS, "limit_test_batches": 1.0})
    (result,) = trainer.test(model, DigitsDataModule(), verbose=False)
    assert result["test/acc"] == pytest.approx(test_value)
