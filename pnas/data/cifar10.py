"""CIFAR-10 as a LightningDataModule, with the PNAS paper's 45k/5k train/validation split of the training set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from pnas.data.cutout import Cutout
from pnas.data.device import DeviceImageLoader, _DeviceTensors, trainer_device
from pnas.data.loaders import dataset_loader
from pnas.errors import ConfigError, DataNotFoundError, require_integer

__all__ = ["CIFAR10DataModule"]

_MEAN = (0.4914, 0.4822, 0.4465)
_STD = (0.2470, 0.2435, 0.2616)
_PAD = 4


class CIFAR10DataModule(pl.LightningDataModule):
    """CIFAR-10 from torchvision, downloaded into ``data_dir`` when missing.

    The 50,000 training images are shuffled by ``seed``; the first ``train_size`` are for training (random crop
    with 4-pixel padding, horizontal flip) and the next ``val_size`` for validation. The 10,000 test images form
    the test split.

    Two data paths give the same images to each split. By default a ``DataLoader`` applies torchvision transforms
    image by image in ``num_workers`` processes (kept for the epochs of one fit; every fit gets new ones, so
    its augmentation follows the seed set before it, whatever was trained before). With
    ``on_device=True`` the raw uint8 images are copied once to the training device (the trainer's root device, the
    CPU when no trainer is attached) and served by :class:`~pnas.data.DeviceImageLoader`, which augments and
    normalises whole batches there; every fit on this data module (every search candidate) reuses that copy. Its
    training batches all have ``batch_size`` images (the last incomplete one is dropped) and follow the order drawn
    from ``seed + epoch``; validation and test batches are complete.

    Args:
        data_dir: Where the ``cifar-10-batches-py`` folder is, or is downloaded to.
        batch_size: Samples per batch.
        train_size: Training images.
        val_size: Validation images, held out of the training set.
        num_workers: DataLoader worker processes.
        download: Download the dataset when it is missing.
        seed: Seed of the train/validation split (and, with ``on_device``, of the training order and augmentation).
        on_device: Keep the images on the training device and make the batches there, instead of a ``DataLoader``.
        cutout: Side of the square that cutout zeroes in every training image after normalisation (16 in the
            NASNet and DARTS CIFAR-10 recipes; :mod:`pnas.data.cutout`); 0: no cutout.

    Attributes:
        datasets: The split datasets of the ``DataLoader`` path, after ``setup``.
        tensors: With ``on_device``, the uint8 NCHW images and int64 labels of each split, after ``setup``: ``host``
            on the CPU and ``tensors`` on the device last asked for.
    """

    num_classes: int = 10
    in_channels: int = 3

    def __init__(
        self,
        data_dir: str = "data",
        batch_size: int = 128,
        train_size: int = 45_000,
        val_size: int = 5_000,
        num_workers: int = 2,
        download: bool = True,
        seed: int = 0,
        on_device: bool = False,
        cutout: int = 0,
    ) -> None:
        super().__init__()
        require_integer("batch_size", batch_size)
        require_integer("num_workers", num_workers, 0)
        require_integer("cutout", cutout, 0)
        self.save_hyperparameters()
        self.data_dir, self.batch_size = Path(data_dir), batch_size
        self.train_size, self.val_size = train_size, val_size
        self.num_workers, self.download, self.seed, self.on_device = num_workers, download, seed, on_device
        self.cutout = cutout
        self.datasets: dict[str, Dataset] = {}
        self.tensors: _DeviceTensors | None = None

    def __getstate__(self) -> dict[str, Any]:
        """The settings without the loaded images, so a copy sent to a worker process loads its own from disk."""
        state = dict(self.__dict__)
        state.update(datasets={}, tensors=None, trainer=None)
        return state

    def _load(self, train: bool, transform: object = None, download: bool = False) -> Dataset:
        from torchvision.datasets import CIFAR10

        try:
            return CIFAR10(str(self.data_dir), train=train, transform=transform, download=download)
        except (OSError, RuntimeError) as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            root = self.data_dir.resolve()
            action = "could not be downloaded" if download else "download is off"
            hint = "" if download else " (or set download: true)"
            raise DataNotFoundError(
                f"CIFAR-10 not found in {root} and {action} ({reason}); "
                f"download {CIFAR10.url} and extract it into {root}{hint}"
            ) from None

    def prepare_data(self) -> None:
        """Download the training and test sets if needed (or fail with :class:`DataNotFoundError`)."""
        for train in (True, False):
            self._load(train, download=self.download)

    def setup(self, stage: str | None = None) -> None:
        """Build the train/validation/test datasets, or with ``on_device`` the split tensors (idempotent)."""
        if self.datasets or self.tensors is not None:
            return
        if self.on_device:
            self._setup_tensors()
            return
        from torchvision import transforms

        normalize = [transforms.ToTensor(), transforms.Normalize(_MEAN, _STD)]
        cutout = [Cutout(self.cutout)] if self.cutout else []
        augment = transforms.Compose(
            [transforms.RandomCrop(32, padding=_PAD), transforms.RandomHorizontalFlip(), *normalize, *cutout]
        )
        plain = transforms.Compose(normalize)
        train_set, eval_set = self._load(True, augment), self._load(True, plain)
        order = self._split_order(len(train_set)).tolist()
        self.datasets = {
            "train": Subset(train_set, order[: self.train_size]),
            "val": Subset(eval_set, order[self.train_size : self.train_size + self.val_size]),
            "test": self._load(False, plain),
        }

    def _split_order(self, count: int) -> torch.Tensor:
        """The seeded permutation of the ``count`` training images: train first, then validation (both paths)."""
        if min(self.train_size, self.val_size) < 1 or self.train_size + self.val_size > count:
            raise ConfigError(
                f"train_size and val_size must be >= 1 and sum to at most {count}, "
                f"got {self.train_size} + {self.val_size}"
            )
        return torch.randperm(count, generator=torch.Generator().manual_seed(self.seed))

    def _setup_tensors(self) -> None:
        """Read the raw uint8 arrays through torchvision's ``CIFAR10`` and split them as the ``DataLoader`` path."""
        train_set, test_set = self._load(True), self._load(False)
        order = self._split_order(len(train_set))
        parts = {"train": order[: self.train_size], "val": order[self.train_size : self.train_size + self.val_size]}
        images, labels = _as_tensors(train_set)
        host = {name: (images[index], labels[index]) for name, index in parts.items()}
        self.tensors = _DeviceTensors({**host, "test": _as_tensors(test_set)})

    def _loader(self, split: str, shuffle: bool) -> DataLoader | DeviceImageLoader:
        if self.tensors is not None:
            images, labels = self.tensors.on(trainer_device(self))[split]
            augment = split == "train"
            return DeviceImageLoader(
                images,
                labels,
                self.batch_size,
                tuple(255 * m for m in _MEAN),
                tuple(255 * s for s in _STD),
                shuffle=shuffle,
                drop_last=augment,
                seed=self.seed,
                pad=_PAD if augment else 0,
                flip=augment,
                cutout=self.cutout if augment else 0,
            )
        return dataset_loader(self.datasets[split], self.batch_size, shuffle, self.num_workers)

    def train_dataloader(self) -> DataLoader | DeviceImageLoader:
        """Shuffled, augmented training batches."""
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader | DeviceImageLoader:
        """Validation batches (5,000 held-out training images by default)."""
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader | DeviceImageLoader:
        """Test-set batches."""
        return self._loader("test", shuffle=False)


def _as_tensors(dataset: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """A torchvision CIFAR dataset's raw images as uint8 ``(N, 3, 32, 32)`` and its labels as int64."""
    images = torch.from_numpy(dataset.data).permute(0, 3, 1, 2).contiguous()
    return images, torch.tensor(dataset.targets, dtype=torch.int64)
