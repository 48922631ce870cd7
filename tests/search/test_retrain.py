"""Search, then retrain the answer with the final CIFAR-10 recipe in one command, at the final N and F."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from pnas.cli import main
from pnas.module import PNASModule
from pnas.nn import build_network
from pnas.space import resolve_genotype
from tests.conftest import TINY_RECIPE_ARGS
from tests.data.test_cifar10 import tiny_cifar  # noqa: F401  (fixture)
from tests.search.cli_searches import ROOT

FINAL_CIFAR10 = str(ROOT / "configs/fit/pnasnet5_cifar10_final.yaml")


def test_retrain_the_found_cell_with_the_final_recipe(finished_run: Path, tiny_cifar: Path, tmp_path: Path, capsys):  # noqa: F811
    genotype_file = finished_run / "best_genotype.json"
    answer = resolve_genotype(genotype_file)
    assert answer.to_string() == json.loads((finished_run / "result.json").read_text())["best_cell"]
    main(
        [
            "fit",
            "--config",
            FINAL_CIFAR10,
            "--model.genotype",
            str(genotype_file),
            # Only the data, the length and the precision shrink; N, F and every recipe option stay as configured.
            f"--data.init_args.data_dir={tiny_cifar}",
            "--data.init_args.download=false",
            "--data.init_args.train_size=30",
            "--data.init_args.val_size=10",
            "--data.init_args.batch_size=4",
            "--data.init_args.num_workers=0",
            *TINY_RECIPE_ARGS,
            f"--trainer.logger.init_args.save_dir={tmp_path}",
        ]
    )
    assert "test/acc" in capsys.readouterr().out  # test_after_fit evaluated the best checkpoint
    checkpoint = tmp_path / "pnasnet5_cifar10_final/version_0/checkpoints/best.ckpt"
    hparams = torch.load(checkpoint, weights_only=False)["hyper_parameters"]
    recipe = {key: hparams[key] for key in ("num_cells", "filters", "aux_weight", "drop_path_keep_prob", "image_size")}
    assert recipe == {"num_cells": 3, "filters": 48, "aux_weight": 0.4, "drop_path_keep_prob": 0.6, "image_size": 32}
    assert hparams["genotype"] == answer.to_string()
    retrained = PNASModule.load_from_checkpoint(checkpoint)
    assert retrained.network.aux_head is not None
    assert retrained.num_parameters == build_network(answer, 10, num_cells=3, filters=48).num_parameters
