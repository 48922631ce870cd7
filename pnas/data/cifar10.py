"""CIFAR-10 as a LightningDataModule, with the PNAS paper's 45k/5k train/validation split of the training set."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from pnas.errors import ConfigError, DataNotFoundError

__all__ = ["CIFAR10DataModule"]

_MEAN = (0.4914, 0.4822, 0.4465)
_STD = (0.2470, 0.2435, 0.2616)


class CIFAR10DataModule(pl.LightningDataModule):
    """CIFAR-10 from torchvision, downloaded into ``data_dir`` when missing.

    The 50,000 training images are shuffled by ``seed``; the first ``train_size`` are for training (random crop
    with 4-pixel padding, horizontal flip) and the next ``val_size`` for validation. The 10,000 test images form
    the test split.

    Args:
        data_dir: Where the ``cifar-10-batches-py`` folder is, or is downloaded to.
        batch_size: Samples per batch.
        train_size: Training images.
        val_size: Validation images, held out of the training set.
        num_workers: DataLoader worker processes.
        download: Download the dataset when it is missing.
        seed: Seed of the train/validation split.
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
    ) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.data_dir, self.batch_size = Path(data_dir), batch_size
        self.train_size, self.val_size = train_size, val_size
        self.num_workers, self.download, self.seed = num_workers, download, seed
        self.datasets: dict[str, Dataset] = {}

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
        """Build the train/validation/test datasets (idempotent)."""
        if self.datasets:
            return
        from torchvision import transforms

        normalize = [transforms.ToTensor(), transforms.Normalize(_MEAN, _STD)]
        augment = transforms.Compose(
            [transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(), *normalize]
        )
        plain = transforms.Compose(normalize)
        train_set, eval_set = self._load(True, augment), self._load(True, plain)
        if min(self.train_size, self.val_size) < 1 or self.train_size + self.val_size > len(train_set):
            raise ConfigError(
                f"train_size and val_size must be >= 1 and sum to at most {len(train_set)}, "
                f"got {self.train_size} + {self.val_size}"
            )
        order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(self.seed)).tolist()
        self.datasets = {
            "train": Subset(train_set, order[: self.train_size]),
            "val": Subset(eval_set, order[self.train_size : self.train_size + self.val_size]),
            "test": self._load(False, plain),
        }

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        return DataLoader(
            self.datasets[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            pin_memory=torch.cuda.is_available(),
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        """Shuffled, augmented training batches."""
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        """Validation batches (5,000 held-out training images by default)."""
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        """Test-set batches."""
        return self._loader("test", shuffle=False)
