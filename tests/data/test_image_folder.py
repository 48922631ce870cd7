"""ImageNet-style folders through the real torchvision ``ImageFolder``, on tiny PNGs the tests write."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from PIL import Image

import pnas
from pnas.data import ImageFolderDataModule
from pnas.errors import ConfigError, DataNotFoundError
from tests.conftest import TINY_RECIPE_ARGS, TINY_TRAINER_KWARGS, cli_error

CLASSES = ("cat", "dog", "fox")


def write_split(folder: Path, per_class: int, classes: tuple[str, ...] = CLASSES) -> None:
    """Write ``per_class`` 40x30 RGB PNGs of distinct colours into ``folder/<class>/``."""
    for label, name in enumerate(classes):
        (folder / name).mkdir(parents=True)
        for index in range(per_class):
            colour = (40 * label + 10 * index, 255 - 50 * label, 7 * index)
            Image.new("RGB", (40, 30), colour).save(folder / name / f"{index}.png")


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    """3 classes, 4 training and 2 validation images each, in ImageNet's layout."""
    root = tmp_path / "imagenet"
    write_split(root / "train", 4)
    write_split(root / "val", 2)
    return root


def test_splits_classes_and_batches(image_dir):
    data = ImageFolderDataModule(data_dir=str(image_dir), image_size=32, batch_size=4, num_workers=0)
    assert (data.num_classes, data.in_channels, data.classes) == (3, 3, list(CLASSES))  # before setup
    data.setup()
    assert [len(data.datasets[s]) for s in ("train", "val", "test")] == [12, 6, 6]
    assert data.datasets["test"] is data.datasets["val"]  # no test folder: the validation folder
    datasets = dict(data.datasets)
    data.setup()
    assert data.datasets == datasets  # idempotent
    x, y = next(iter(data.train_dataloader()))
    assert x.shape == (4, 3, 32, 32) and x.dtype == torch.float32 and y.shape == (4,)
    x_val, y_val = next(iter(data.val_dataloader()))
    assert x_val.shape == (4, 3, 32, 32) and y_val.tolist() == [0, 0, 1, 1]
    assert torch.equal(x_val, next(iter(data.val_dataloader()))[0])  # validation is not augmented
    assert torch.equal(next(iter(data.test_dataloader()))[0], x_val)


def test_a_test_folder_is_its_own_split(image_dir):
    write_split(image_dir / "holdout", 1)
    data = ImageFolderDataModule(data_dir=str(image_dir), image_size=16, num_workers=0, test_folder="holdout")
    data.setup()
    assert [len(data.datasets[s]) for s in ("train", "val", "test")] == [12, 6, 3]


def test_pickled_copy_leaves_the_datasets_behind(image_dir):
    import pickle

    data = ImageFolderDataModule(data_dir=str(image_dir), num_workers=0)
    data.setup()
    copy = pickle.loads(pickle.dumps(data))
    assert copy.datasets == {} and copy.num_classes == 3


def assert_one_line_with(error: pytest.ExceptionInfo, path: Path) -> str:
    message = str(error.value)
    assert "\n" not in message and str(path.resolve()) in message
    assert "/train/<class>/<image>" in message and "/val/<class>/<image>" in message
    assert "--data.init_args.data_dir" in message
    return message


def test_missing_data_dir_is_one_line_with_its_path(tmp_path):
    with pytest.raises(DataNotFoundError) as error:
        ImageFolderDataModule(data_dir=str(tmp_path / "nowhere"))
    assert_one_line_with(error, tmp_path / "nowhere")


def test_missing_val_folder_is_one_line_with_its_path(tmp_path):
    write_split(tmp_path / "train", 1)
    with pytest.raises(DataNotFoundError) as error:
        ImageFolderDataModule(data_dir=str(tmp_path))
    assert_one_line_with(error, tmp_path / "val")


def test_train_folder_without_class_folders_is_one_line(tmp_path):
    (tmp_path / "train").mkdir()
    Image.new("RGB", (4, 4)).save(tmp_path / "train" / "loose.png")
    write_split(tmp_path / "val", 1)
    with pytest.raises(DataNotFoundError) as error:
        ImageFolderDataModule(data_dir=str(tmp_path))
    assert "no class folders" in assert_one_line_with(error, tmp_path / "train")


def test_mismatched_classes_name_the_first_difference(tmp_path):
    write_split(tmp_path / "train", 1)
    write_split(tmp_path / "val", 1, ("cat", "emu", "fox"))
    with pytest.raises(ConfigError, match="'dog' is in .*train but not in .*val"):
        ImageFolderDataModule(data_dir=str(tmp_path))


def test_bad_settings_are_refused(image_dir):
    with pytest.raises(ConfigError, match="image_size must be an integer >= 1"):
        ImageFolderDataModule(data_dir=str(image_dir), image_size=0)


def test_fit_one_batch_with_lightning(image_dir):
    pl.seed_everything(0)
    data = ImageFolderDataModule(data_dir=str(image_dir), image_size=32, batch_size=4, num_workers=0)
    model = pnas.PNASModule(num_classes=data.num_classes, in_channels=data.in_channels, num_cells=1, filters=4)
    trainer = pl.Trainer(**{**TINY_TRAINER_KWARGS, "limit_train_batches": 1, "enable_checkpointing": False})
    trainer.fit(model, data)
    assert trainer.global_step == 1 and "val/acc" in trainer.callback_metrics


def test_cli_with_a_missing_folder_is_one_line_without_traceback(tmp_path, capsys):
    missing = tmp_path / "no_imagenet"
    args = ["fit", "--data", "pnas.data.ImageFolderDataModule", "--data.init_args.data_dir", str(missing)]
    err = cli_error(capsys, [*args, "--trainer.max_epochs", "1"])
    assert len(err.strip().splitlines()) == 1 and str(missing.resolve()) in err


def test_a_class_folder_without_images_fails_setup_in_one_line(image_dir):
    (image_dir / "val" / "dog" / "0.png").unlink()
    (image_dir / "val" / "dog" / "1.png").unlink()
    data = ImageFolderDataModule(data_dir=str(image_dir), num_workers=0)
    with pytest.raises(DataNotFoundError, match="no images in .*val") as error:
        data.setup()
    assert "\n" not in str(error.value) and "dog" in str(error.value)


MOBILE_CONFIG = str(Path(__file__).resolve().parents[2] / "configs/fit/pnasnet5_imagenet_mobile.yaml")


def test_the_imagenet_mobile_config_trains_on_a_folder(image_dir, tmp_path, capsys):
    """The Mobile recipe at its N and F (ImageNet stem, aux head, label smoothing, RMSProp, exponential decay)."""
    from pnas.cli import main

    main(
        [
            "fit",
            "--config",
            MOBILE_CONFIG,
            f"--data.init_args.data_dir={image_dir}",
            "--data.init_args.image_size=64",
            "--data.init_args.batch_size=4",
            "--data.init_args.num_workers=0",
            "--model.image_size=64",
            *TINY_RECIPE_ARGS,
            f"--trainer.logger.init_args.save_dir={tmp_path}",
        ]
    )
    assert "test/acc" in capsys.readouterr().out
    checkpoint = tmp_path / "pnasnet5_imagenet_mobile/version_0/checkpoints/best.ckpt"
    model = pnas.PNASModule.load_from_checkpoint(checkpoint)
    assert (model.hparams.num_classes, model.hparams.stem, model.hparams.filters) == (3, "imagenet", 54)
    assert {m.eps for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)} == {1e-3}
    assert model.network.aux_head is not None and model.network.num_stem_cells == 2


def test_the_imagenet_mobile_config_without_the_folder_is_one_line(tmp_path, capsys):
    missing = tmp_path / "no-imagenet-here"
    err = cli_error(capsys, ["fit", "--config", MOBILE_CONFIG, f"--data.init_args.data_dir={missing}"])
    assert len(err.strip().splitlines()) == 1 and str(missing.resolve()) in err
