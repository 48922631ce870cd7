from __future__ import annotations

import pytest
import pytorch_lightning as pl
import torch

from pnas.data import CIFAR10DataModule, DigitsDataModule
from pnas.data.synthetic import accept_files, write_cifar10_like
from pnas.errors import ConfigError
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


def halving_model(**settings) -> PNASModule:
    """A tiny model whose learning rate, 0.1 at first, halves after every epoch."""
    optimizer = lambda params: torch.optim.SGD(params, lr=0.1)  # noqa: E731
    schedule = dict(lr_schedule="exponential", lr_decay_rate=0.5, lr_decay_epochs=1, optimizer=optimizer)
    return PNASModule("pnasnet5", num_classes=10, num_cells=1, filters=4, **schedule, **settings)


def test_training_with_every_final_recipe_option(tmp_path):
    """Aux head, drop-path, label smoothing, the exponential schedule and cutout together, on a tiny CIFAR-10."""
    model = halving_model(in_channels=3, aux_weight=0.4, drop_path_keep_prob=0.6, label_smoothing=0.1)
    with accept_files(write_cifar10_like(tmp_path / "data", train_images=40, test_images=6)) as root:
        data = CIFAR10DataModule(
            str(root), batch_size=10, train_size=30, val_size=10, num_workers=0, download=False, cutout=16
        )
        trainer = tiny_trainer(tmp_path, max_epochs=3, enable_checkpointing=False)
        trainer.fit(model, data)
        logged = dict(trainer.callback_metrics)
        validated = trainer.validate(model, data, verbose=False)[0]
    steps = trainer.global_step
    assert steps == 9
    assert {"train/aux_loss_epoch", "train/drop_path_keep_prob", "val/acc"} <= set(logged)
    # The last step ran at progress 8/9: the last cell's keep probability 1 - 8/9 * 0.4.
    assert logged["train/drop_path_keep_prob"].item() == pytest.approx(1 - 8 / 9 * 0.4, rel=1e-5)
    # Halved after each of the 3 epochs (3 steps each), per step.
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**3)
    assert torch.isfinite(torch.tensor(validated["val/loss"]))


@pytest.mark.filterwarnings(r"ignore:You are trying to `self.log\(\)`")
def test_training_loss_adds_the_weighted_auxiliary_loss():
    model = PNASModule("pnasnet5", num_classes=10, in_channels=1, num_cells=1, filters=4, image_size=8, aux_weight=0.4)
    model.train()
    x, y = torch.randn(8, 1, 8, 8), torch.randint(0, 10, (8,))
    with torch.no_grad():
        loss = model.training_step((x, y), 0)
        logits, aux_logits = model.network.forward_with_aux(x)
    expected = torch.nn.functional.cross_entropy(logits, y) + 0.4 * torch.nn.functional.cross_entropy(aux_logits, y)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5)
    model.eval()
    assert model.network.forward_with_aux(x)[1] is None


def test_recipe_settings_are_checked():
    with pytest.raises(ConfigError, match="lr_schedule must be one of cosine, exponential"):
        PNASModule(num_classes=10, lr_schedule="step")
    with pytest.raises(ConfigError, match="aux_weight must be >= 0"):
        PNASModule(num_classes=10, aux_weight=-1)
    with pytest.raises(ConfigError, match="lr_decay_rate"):
        PNASModule(num_classes=10, lr_decay_rate=0)


def test_exponential_schedule_counts_epochs_in_batches_when_max_steps_ends_the_fit(tmp_path):
    model = halving_model(in_channels=1)
    trainer = tiny_trainer(tmp_path, max_epochs=None, max_steps=6, enable_checkpointing=False, limit_val_batches=0)
    trainer.fit(model, DigitsDataModule(batch_size=16))
    assert trainer.global_step == 6  # two epochs of 3 batches, so two decays
    assert trainer.optimizers[0].param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**2)


def test_schedules_need_a_run_of_known_length(tmp_path):
    model = PNASModule("pnasnet5", num_classes=10, in_channels=1, num_cells=1, filters=4, drop_path_keep_prob=0.6)
    trainer = tiny_trainer(tmp_path, max_epochs=-1, enable_checkpointing=False)
    with pytest.raises(ConfigError, match="needs a run of known length"):
        trainer.fit(model, DigitsDataModule(batch_size=16))


def test_an_aux_head_built_for_other_images_says_which_setting_to_change(tmp_path):
    model = PNASModule("pnasnet5", num_classes=10, in_channels=1, num_cells=1, filters=4, aux_weight=0.4)  # 32
    with pytest.raises(ConfigError, match="built for 32x32 images.*set image_size \\(model.image_size\\)"):
        tiny_trainer(tmp_path, enable_checkpointing=False).fit(model, DigitsDataModule(batch_size=16))  # 8x8
