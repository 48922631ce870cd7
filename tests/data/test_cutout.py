"""Cutout: the mask, the per-image transform, the device loader and the CIFAR-10 data module, on both data paths."""

from __future__ import annotations

import pytest
import torch

from pnas.data import CIFAR10DataModule, DeviceImageLoader
from pnas.data.cutout import Cutout, cutout_keep_mask
from pnas.errors import ConfigError
from tests.data.test_cifar10 import tiny_cifar  # noqa: F401  (the fixture)


def test_the_mask_cuts_the_square_at_its_centre_clipped_at_the_borders():
    keep = cutout_keep_mask(6, 6, torch.tensor([3, 0]), torch.tensor([3, 5]), 2)
    assert keep.shape == (2, 1, 6, 6) and keep.dtype == torch.bool
    inside = (~keep[0, 0]).nonzero().tolist()
    assert inside == [[2, 2], [2, 3], [3, 2], [3, 3]]
    corner = (~keep[1, 0]).nonzero().tolist()  # centre (0, 5), size 2: rows -1..0, columns 4..5, clipped
    assert corner == [[0, 4], [0, 5]]


def cut_pixels(images: torch.Tensor) -> torch.Tensor:
    """Zeroed pixels per image of a batch of images that are all ones before cutout (every channel alike)."""
    zero = images == 0
    assert bool((zero == zero[:, :1]).all())  # the same square in every channel
    return zero[:, 0].flatten(1).sum(1)


def test_the_transform_zeroes_one_square_of_at_most_size_squared_pixels():
    torch.manual_seed(0)
    cut = torch.stack([Cutout(8)(torch.ones(3, 32, 32)) for _ in range(200)])
    counts = cut_pixels(cut)
    assert int(counts.max()) == 64 and int(counts.min()) >= 16  # a centre in a corner keeps a quarter
    assert Cutout(0)(torch.ones(3, 4, 4)).eq(1).all()
    with pytest.raises(ConfigError, match="cutout must be an integer >= 0, got -1"):
        Cutout(-1)


def test_the_device_loader_cuts_training_batches_and_leaves_the_other_draws_alone():
    images = torch.full((64, 3, 16, 16), 1, dtype=torch.uint8)
    labels = torch.arange(64)
    settings = dict(batch_size=16, shuffle=True, seed=3, pad=2, flip=True)
    with_cutout = list(DeviceImageLoader(images, labels, cutout=6, **settings))
    without = list(DeviceImageLoader(images, labels, **settings))
    assert all(torch.equal(a, b) for (_, a), (_, b) in zip(with_cutout, without, strict=True))  # same order
    for (cut, _), (plain, _) in zip(with_cutout, without, strict=True):
        assert torch.equal(cut[cut != 0], plain[cut != 0])  # the same crops and flips; only the square changed
        square = ((cut == 0) & (plain != 0)).all(1).flatten(1).sum(1)  # (the crop's padding is 0 in both)
        assert bool((square >= 1).all()) and bool((square <= 36).all())


@pytest.mark.parametrize("on_device", [False, True], ids=["dataloader", "on-device"])
def test_cifar10_cuts_training_images_only(tiny_cifar, on_device):  # noqa: F811
    data = CIFAR10DataModule(
        str(tiny_cifar), 8, train_size=30, val_size=8, num_workers=0, download=False, cutout=8, on_device=on_device
    )
    data.prepare_data()
    data.setup()
    train, _ = next(iter(data.train_dataloader()))
    val, _ = next(iter(data.val_dataloader()))
    square = (train == 0).all(1).flatten(1).sum(1)  # pixels zero in every channel
    assert bool((square >= 16).all()) and bool((square <= 64).all())
    assert int((val == 0).all(1).sum()) == 0
    with pytest.raises(ConfigError, match="cutout must be an integer >= 0"):
        CIFAR10DataModule(str(tiny_cifar), cutout=-2)
