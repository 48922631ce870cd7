"""The device-resident data path: DeviceImageLoader and the data modules' ``on_device`` option, on the CPU."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from torchvision.datasets import CIFAR10

from pnas import PNASModule
from pnas.data import CIFAR10DataModule, DeviceImageLoader, DigitsDataModule, TensorBatchLoader
from pnas.data.synthetic import accept_files, write_cifar10_like
from pnas.errors import ConfigError
from tests.conftest import TINY_TRAINER_KWARGS
from tests.data import test_cifar10

tiny_cifar = test_cifar10.tiny_cifar  # the fixture, shared
write_tiny_cifar10 = test_cifar10.write_tiny_cifar10

MEAN, STD = (125.3, 122.9, 113.9), (63.0, 62.1, 66.7)


def random_images(count: int, size: int = 8, channels: int = 3, seed: int = 0) -> torch.Tensor:
    return torch.randint(
        0, 256, (count, channels, size, size), dtype=torch.uint8, generator=torch.Generator().manual_seed(seed)
    )


def normalised(images: torch.Tensor, mean=MEAN, std=STD) -> torch.Tensor:
    return (images.double() - torch.tensor(mean).view(1, -1, 1, 1)) / torch.tensor(std).view(1, -1, 1, 1)


def epoch(loader) -> tuple[torch.Tensor, torch.Tensor]:
    batches = list(loader)
    return torch.cat([x for x, _ in batches]), torch.cat([y for _, y in batches])


def test_batch_shapes_dtypes_and_drop_last():
    images, labels = random_images(10), torch.arange(10, dtype=torch.int32)
    train = DeviceImageLoader(images, labels, 4, MEAN, STD, shuffle=True, drop_last=True, pad=2, flip=True)
    assert len(train) == 2
    for _ in range(2):
        batches = list(train)
        assert len(batches) == 2
        for x, y in batches:
            assert x.shape == (4, 3, 8, 8) and x.dtype == torch.float32 and x.is_contiguous()
            assert y.shape == (4,) and y.dtype == torch.int64
    plain = DeviceImageLoader(images, labels, 4, MEAN, STD)
    assert len(plain) == 3 and [len(y) for _, y in plain] == [4, 4, 2]
    x, y = epoch(plain)
    assert torch.equal(y, torch.arange(10)) and torch.allclose(x.double(), normalised(images), atol=1e-5)
    x, _ = next(iter(DeviceImageLoader(images, labels, 4, MEAN, STD, pad=2, channels_last=True)))
    assert x.is_contiguous(memory_format=torch.channels_last) and x.shape == (4, 3, 8, 8)


def test_order_is_tensor_batch_loaders_and_unaugmented_batches_are_the_normalised_images():
    images, labels = random_images(23), torch.arange(23)
    device = DeviceImageLoader(images, labels, 5, MEAN, STD, shuffle=True, seed=7)
    reference = TensorBatchLoader(normalised(images).float(), labels, 5, shuffle=True, seed=7)
    for _ in range(2):  # two epochs
        for (x, y), (x_ref, y_ref) in zip(device, reference, strict=True):
            assert torch.equal(y, y_ref)
            assert torch.allclose(x, x_ref, atol=1e-5)


def coordinates(count: int, size: int) -> torch.Tensor:
    """Images whose channel 0 holds row + 1 and channel 1 column + 1: a padded pixel reads 0."""
    grid = torch.arange(1, size + 1, dtype=torch.uint8)
    return torch.stack([grid[:, None].expand(size, size), grid[None, :].expand(size, size)]).expand(
        count, 2, size, size
    )


def test_augmentation_is_torchvision_crop_then_flip_with_uniform_offsets_and_half_flips():
    count, size, pad = 2000, 8, 2
    kwargs = dict(batch_size=128, shuffle=False, seed=11, pad=pad, flip=True)
    x, _ = epoch(DeviceImageLoader(coordinates(count, size).contiguous(), torch.zeros(count), **kwargs))
    rows, cols = x[:, 0].long() - 1, x[:, 1].long() - 1  # source pixel of each output pixel, -1 where padded
    centre = size // 2 - 1  # never padded for |offset| <= pad < size / 2
    flipped = cols[:, centre, centre + 1] < cols[:, centre, centre]
    dy = rows[:, centre, centre] - centre
    dx = torch.where(flipped, cols[:, centre, centre] - (size - 1 - centre), cols[:, centre, centre] - centre)
    assert 0.45 < flipped.float().mean().item() < 0.55
    for offsets in (dy, dx):
        counts = torch.bincount(offsets + pad)
        assert len(counts) == 2 * pad + 1 and counts.min() > 0.8 * count / len(counts)  # exactly -pad..pad, ~uniform
        assert counts.max() < 1.2 * count / len(counts)
    # The same seed draws the same offsets and flips for any images: compare with torchvision's definition.
    images = random_images(count, size, seed=1)
    out, _ = epoch(DeviceImageLoader(images, torch.zeros(count), mean=MEAN, std=STD, **kwargs))
    padded = F.pad(images, (pad, pad, pad, pad))  # RandomCrop(size, padding=pad) fills with 0 ...
    for b in range(0, count, 97):
        crop = padded[b, :, pad + dy[b] : pad + dy[b] + size, pad + dx[b] : pad + dx[b] + size]
        expected = normalised((crop.flip(-1) if flipped[b] else crop)[None])[0]  # ... then the flip, then Normalize
        assert torch.allclose(out[b].double(), expected, atol=1e-5)
    padding = rows < 0
    zero = normalised(torch.zeros(1, 3, 1, 1))[0, :, 0, 0].float()
    assert padding.any() and torch.allclose(out.permute(0, 2, 3, 1)[padding], zero.expand(int(padding.sum()), 3))


def test_equal_seeds_give_equal_batches_and_other_seeds_or_epochs_others():
    images, labels = random_images(40), torch.arange(40)

    def loader(seed: int) -> DeviceImageLoader:
        return DeviceImageLoader(
            images, labels, 8, MEAN, STD, shuffle=True, drop_last=True, seed=seed, pad=2, flip=True
        )

    first, again = loader(0), loader(0)
    epoch_0, epoch_0_again = epoch(first), epoch(again)
    assert all(torch.equal(a, b) for a, b in zip(epoch_0, epoch_0_again, strict=True))
    epoch_1 = epoch(first)
    assert not torch.equal(epoch_0[1], epoch_1[1]) and not torch.equal(epoch_0[0], epoch_1[0])
    assert not torch.equal(epoch_0[0], epoch(loader(1))[0])


def test_to_moves_the_tensors_and_keeps_the_settings():
    images, labels = random_images(6), torch.arange(6)
    loader = DeviceImageLoader(images, labels, 4, MEAN, STD, shuffle=True, pad=1, flip=True, seed=5)
    same = loader.to("cpu")
    assert same is not loader and same.images is images and same.labels is loader.labels
    moved = loader.to("meta")
    assert moved.device.type == "meta" and moved.labels.device.type == "meta" and loader.device.type == "cpu"
    assert (moved.batch_size, moved.shuffle, moved.pad, moved.flip, moved.seed) == (4, True, 1, True, 5)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (dict(batch_size=0), "batch_size must be >= 1"),
        (dict(pad=-1), "pad must be >= 0"),
        (dict(labels=torch.arange(5)), "images and labels differ in length"),
        (dict(images=torch.zeros(6, 3, 8, 8)), "images must be a uint8 tensor"),
        (dict(mean=(1.0, 2.0)), "mean needs 1 or 3 values"),
        (dict(std=(1.0, 0.0, 1.0)), "std must be > 0"),
    ],
)
def test_bad_arguments_name_the_argument(change, match):
    arguments = {**dict(images=random_images(6), labels=torch.arange(6), batch_size=4, mean=MEAN, std=STD), **change}
    with pytest.raises(ConfigError, match=match):
        DeviceImageLoader(**arguments)
    assert issubclass(ConfigError, ValueError)


def cifar(root, **kwargs) -> CIFAR10DataModule:
    options = dict(data_dir=str(root), batch_size=4, train_size=30, val_size=8, num_workers=0, download=False, seed=3)
    data = CIFAR10DataModule(**{**options, **kwargs})
    data.prepare_data()
    data.setup()
    return data


def test_cifar10_on_device_uses_the_dataloader_paths_split_and_normalisation(tiny_cifar):
    loader_path, device_path = cifar(tiny_cifar), cifar(tiny_cifar, on_device=True)
    host = device_path.tensors.host
    assert [len(host[s][1]) for s in ("train", "val", "test")] == [30, 8, 6]
    for split in ("train", "val"):
        subset = loader_path.datasets[split]
        raw = torch.from_numpy(subset.dataset.data[subset.indices]).permute(0, 3, 1, 2)
        assert torch.equal(host[split][0], raw)  # the same images in the same order
        assert host[split][1].tolist() == [subset.dataset.targets[i] for i in subset.indices]
    test = loader_path.datasets["test"]
    assert torch.equal(host["test"][0], torch.from_numpy(test.data).permute(0, 3, 1, 2))
    for split in ("val_dataloader", "test_dataloader"):  # plain, complete batches, same normalisation
        (x, y), (x_ref, y_ref) = epoch(getattr(device_path, split)()), epoch(getattr(loader_path, split)())
        assert torch.equal(y, y_ref) and torch.allclose(x, x_ref, atol=1e-5)
    assert [len(y) for _, y in device_path.val_dataloader()] == [4, 4]
    assert [len(y) for _, y in device_path.test_dataloader()] == [4, 2]
    train = list(device_path.train_dataloader())
    assert len(train) == 7 and all(x.shape == (4, 3, 32, 32) and y.shape == (4,) for x, y in train)


def test_device_copy_is_made_once_and_only_one_is_kept(tiny_cifar):
    data = cifar(tiny_cifar, on_device=True)
    host = data.tensors.host["train"][0]
    assert data.train_dataloader().images is host  # no trainer attached: the CPU, no copy
    data.trainer = SimpleNamespace(strategy=SimpleNamespace(root_device=torch.device("meta")))
    first, second = data.train_dataloader(), data.val_dataloader()
    assert first.device.type == "meta" and first.images is data.train_dataloader().images
    assert second.images is data.tensors.tensors["val"][0] and data.tensors.device.type == "meta"
    data.trainer = None
    assert data.train_dataloader().images is host and data.tensors.tensors is data.tensors.host  # meta copy dropped


FIT_KWARGS = {**TINY_TRAINER_KWARGS, "limit_train_batches": 2, "enable_checkpointing": False}


def fit(data: pl.LightningDataModule, in_channels: int) -> pl.Trainer:
    trainer = pl.Trainer(**FIT_KWARGS)
    trainer.fit(PNASModule(num_classes=10, in_channels=in_channels, num_cells=1, filters=4), datamodule=data)
    assert trainer.state.finished and trainer.global_step == 2
    return trainer


def test_lightning_fits_on_device_cifar10_twice_on_one_copy(tiny_cifar):
    data = CIFAR10DataModule(data_dir=str(tiny_cifar), batch_size=4, train_size=30, val_size=8, on_device=True)
    first, second = fit(data, 3), fit(data, 3)
    assert isinstance(first.train_dataloader, DeviceImageLoader)
    assert second.train_dataloader.images is first.train_dataloader.images is data.tensors.tensors["train"][0]


def test_lightning_fits_on_device_digits_in_the_default_paths_order():
    data, default = DigitsDataModule(batch_size=32, on_device=True), DigitsDataModule(batch_size=32)
    data.setup(), default.setup()
    assert data.splits["train"][0].dtype == torch.uint8 and int(data.splits["train"][0].max()) == 16
    for name in ("train_dataloader", "val_dataloader"):
        for (x, y), (x_ref, y_ref) in zip(getattr(data, name)(), getattr(default, name)(), strict=True):
            assert torch.equal(y, y_ref) and torch.allclose(x, x_ref, atol=1e-5)
    fit(data, 1)


def test_write_cifar10_like_is_read_by_torchvision_inside_accept_files(tmp_path):
    original = CIFAR10.train_list
    root = write_cifar10_like(tmp_path, train_images=12, test_images=3, seed=1)
    assert root == tmp_path and write_tiny_cifar10(tmp_path / "tiny") == tmp_path / "tiny"
    with accept_files(root):
        train, test = CIFAR10(str(root), train=True), CIFAR10(str(root), train=False, download=True)
    assert train.data.shape == (12, 32, 32, 3) and len(test) == 3 and set(train.targets) <= set(range(10))
    assert CIFAR10.train_list is original
    with pytest.raises(RuntimeError):
        CIFAR10(str(root), train=True)


def test_dataloader_path_augments_each_fit_from_the_seed_set_before_it(tiny_cifar):
    data = CIFAR10DataModule(data_dir=str(tiny_cifar), batch_size=4, train_size=30, val_size=8, num_workers=1)
    data.setup()

    def first_batch() -> torch.Tensor:
        torch.manual_seed(0)  # what each candidate's seed_everything does
        return next(iter(data.train_dataloader()))[0]

    before = first_batch()
    list(data.train_dataloader())  # an earlier candidate's epoch in the same process
    assert torch.equal(first_batch(), before)
