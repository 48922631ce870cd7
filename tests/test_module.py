from __future__ import annotations

import pytorch_lightning as pl
import torch

from pnas.data import DigitsDataModule
from pnas.module import PNASModule
from pnas.space import GENOTYPES, save_genotype
from tests.conftest import TINY_TRAINER_KWARGS


def tiny_trainer(tmp_path, **kwargs) -> pl.Trainer:
    return pl.Trainer(**{**TINY_TRAINER_KWARGS, "default_root_dir": tmp_path, **kwargs})


def test_checkpoint_alone_rebuilds_the_model(tmp_path):
    genotype_file = save_genotype(GENOTYPES["pnasnet5"], tmp_path / "cell.json")
    model = PNASModule(str(genotype_file), num_classes=10, in_channels=1, num_cells=1, filters=4)
    assert model.hparams.genotype == GENOTYPES["pnasnet5"].to_string()
    trainer = tiny_trainer(tmp_path, enable_checkpointing=False)
    trainer.fit(model, DigitsDataModule(batch_size=16))
    trainer.save_checkpoint(tmp_path / "model.ckpt")
    genotype_file.unlink()  # the checkpoint must not depend on the genotype file

    restored = PNASModule.load_from_checkpoint(tmp_path / "model.ckpt")
    assert restored.genotype == GENOTYPES["pnasnet5"]
    model.eval(), restored.eval()
    x = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(model(x), restored(x))


def test_default_optimizer_is_sgd_with_cosine_schedule(tmp_path):
    model = PNASModule("pnasnet5", num_classes=10, in_channels=1, num_cells=1, filters=4)
    trainer = tiny_trainer(tmp_path, enable_checkpointing=False)
    trainer.fit(model, DigitsDataModule(batch_size=16))
    (optimizer,) = trainer.optimizers
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.defaults["momentum"] == 0.9
    (config,) = trainer.lr_scheduler_configs
    assert isinstance(config.scheduler, torch.optim.lr_scheduler.CosineAnnealingLR)
    assert config.interval == "step" and config.scheduler.T_max == 3


def test_injected_optimizer_and_scheduler_are_used(tmp_path):
    model = PNASModule(
        "pnasnet5",
        num_classes=10,
        in_channels=1,
        num_cells=1,
        filters=4,
        optimizer=lambda params: torch.optim.Adam(params, lr=1e-3),
        lr_scheduler=lambda opt: torch.optim.lr_scheduler.StepLR(opt, step_size=1),
    )
    trainer = tiny_trainer(tmp_path, enable_checkpointing=False)
    trainer.fit(model, DigitsDataModule(batch_size=16))
    assert isinstance(trainer.optimizers[0], torch.optim.Adam)
    assert isinstance(trainer.lr_scheduler_configs[0].scheduler, torch.optim.lr_scheduler.StepLR)


def test_training_logs_slash_metrics_and_learns(tmp_path):
    pl.seed_everything(0)
    model = PNASModule("pnasnet5", num_classes=10, in_channels=1, num_cells=1, filters=8)
    trainer = tiny_trainer(tmp_path, max_epochs=3, limit_train_batches=None, limit_val_batches=None)
    data = DigitsDataModule(batch_size=64)
    trainer.fit(model, data)
    assert {"train/loss", "train/acc", "val/loss", "val/acc"} <= set(trainer.callback_metrics)
    (result,) = trainer.test(model, data, verbose=False)
    assert result["test/acc"] > 0.5  # 10 classes: chance is 0.1
