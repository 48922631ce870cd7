"""An ImageNet-style folder of class subfolders as a LightningDataModule, read by torchvision's ``ImageFolder``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
from torch.utils.data import DataLoader, Dataset

from pnas.data.loaders import dataset_loader
from pnas.errors import ConfigError, DataNotFoundError, require_integer

__all__ = ["ImageFolderDataModule"]

_MEAN = (0.485, 0.456, 0.406)
_STD = (0.229, 0.224, 0.225)
#: Fraction of the resized image that the evaluation centre crop keeps (224 of 256, the usual ImageNet recipe).
_CROP_FRACTION = 0.875
_FIX = "point --data.init_args.data_dir at an ImageNet folder (or set train_folder/val_folder)"


class ImageFolderDataModule(pl.LightningDataModule):
    """Images in class subfolders (ImageNet's layout), read by torchvision's ``ImageFolder``.

    The layout is ``<data_dir>/<train_folder>/<class>/<image>`` and ``<data_dir>/<val_folder>/<class>/<image>``,
    with the same class folder names in both; the classes are the sorted folder names (as ``ImageFolder`` finds
    them) and are found when the data module is made, so ``num_classes`` is known before ``setup``. Images are
    converted to RGB. Training images get ImageNet's augmentation (random resized crop to ``image_size``,
    horizontal flip); validation and test images are resized to ``round(image_size / 0.875)`` and centre-cropped
    to ``image_size``. Both are normalised with ImageNet's mean and standard deviation.

    ImageNet has no labelled test set, so the test split is the validation folder unless ``test_folder`` names
    another folder of the same layout: then test results on the default settings are validation results.

    Args:
        data_dir: The folder that holds the train and validation folders.
        image_size: Side of the square images the network sees.
        batch_size: Samples per batch.
        num_workers: DataLoader worker processes.
        train_folder: The training folder's name inside ``data_dir``.
        val_folder: The validation folder's name inside ``data_dir``.
        test_folder: The test folder's name inside ``data_dir``; ``None``: the validation folder.

    Attributes:
        classes: The sorted class folder names of the training folder.
        num_classes: How many there are.
        datasets: The ``ImageFolder`` of each split, after ``setup``.

    Raises:
        DataNotFoundError: ``data_dir`` or one of its split folders is missing, or the training folder has no
            class folders.
        ConfigError: A split folder's class folders differ from the training folder's.
    """

    in_channels: int = 3

    def __init__(
        self,
        data_dir: str = "data/imagenet",
        image_size: int = 224,
        batch_size: int = 128,
        num_workers: int = 8,
        train_folder: str = "train",
        val_folder: str = "val",
        test_folder: str | None = None,
    ) -> None:
        super().__init__()
        require_integer("image_size", image_size)
        require_integer("batch_size", batch_size)
        require_integer("num_workers", num_workers, 0)
        self.save_hyperparameters()
        self.data_dir, self.image_size, self.batch_size = Path(data_dir), image_size, batch_size
        self.num_workers = num_workers
        self.folders = {"train": train_folder, "val": val_folder, "test": test_folder or val_folder}
        self.classes = self._find_classes()
        self.num_classes = len(self.classes)
        self.datasets: dict[str, Dataset] = {}

    def __getstate__(self) -> dict[str, Any]:
        """The settings without the datasets, so a copy sent to a worker process lists its own images."""
        state = dict(self.__dict__)
        state.update(datasets={}, trainer=None)
        return state

    def _layout(self) -> str:
        root = self.data_dir.resolve()
        return f"{root}/{self.folders['train']}/<class>/<image> and {root}/{self.folders['val']}/<class>/<image>"

    def _split_dir(self, split: str) -> Path:
        """The split's folder, resolved; :class:`DataNotFoundError` when it (or ``data_dir``) is not a folder."""
        for folder in (self.data_dir, self.data_dir / self.folders[split]):
            if not folder.is_dir():
                raise DataNotFoundError(
                    f"image folder not found: expected the folder {folder.resolve()} (layout: {self._layout()}); {_FIX}"
                )
        return (self.data_dir / self.folders[split]).resolve()

    def _find_classes(self) -> list[str]:
        """The training folder's sorted class folder names, checked against the other splits' (a listing only)."""
        train_dir = self._split_dir("train")
        classes = _class_names(train_dir)
        if not classes:
            raise DataNotFoundError(
                f"no class folders in {train_dir}: expected one folder of images per class "
                f"(layout: {self._layout()}); {_FIX}"
            )
        splits = ("val",) if self.folders["test"] == self.folders["val"] else ("val", "test")
        for split in splits:
            folder = self._split_dir(split)
            others = _class_names(folder)
            if others != classes:
                first = sorted(set(classes) ^ set(others))[0]
                has, lacks = (train_dir, folder) if first in classes else (folder, train_dir)
                raise ConfigError(
                    f"the class folders of {folder} differ from those of {train_dir}: {first!r} is in {has} "
                    f"but not in {lacks}; every split needs the same <class> folder names"
                )
        return classes

    def _transforms(self, train: bool) -> Any:
        from torchvision import transforms

        normalize = [transforms.ToTensor(), transforms.Normalize(_MEAN, _STD)]
        if train:
            crop = [transforms.RandomResizedCrop(self.image_size), transforms.RandomHorizontalFlip()]
        else:
            crop = [transforms.Resize(round(self.image_size / _CROP_FRACTION)), transforms.CenterCrop(self.image_size)]
        return transforms.Compose([*crop, *normalize])

    def _load(self, split: str) -> Dataset:
        from torchvision.datasets import ImageFolder

        folder = self._split_dir(split)
        try:
            return ImageFolder(str(folder), transform=self._transforms(train=split == "train"))
        except FileNotFoundError as error:  # a class folder without an image of a known extension
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DataNotFoundError(f"no images in {folder} ({reason}); layout: {self._layout()}") from None

    def setup(self, stage: str | None = None) -> None:
        """Build the train/validation/test ``ImageFolder`` datasets (idempotent)."""
        if self.datasets:
            return
        datasets = {"train": self._load("train"), "val": self._load("val")}
        same = self.folders["test"] == self.folders["val"]
        datasets["test"] = datasets["val"] if same else self._load("test")
        self.datasets = datasets

    def _loader(self, split: str, shuffle: bool) -> DataLoader:
        return dataset_loader(self.datasets[split], self.batch_size, shuffle, self.num_workers)

    def train_dataloader(self) -> DataLoader:
        """Shuffled, augmented training batches."""
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        """Validation batches, centre-cropped."""
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        """Test batches: ``test_folder``'s images, or the validation folder's when it is not set."""
        return self._loader("test", shuffle=False)


def _class_names(folder: Path) -> list[str]:
    """The sorted names of the subfolders of ``folder``, as ``ImageFolder``'s ``find_classes`` lists them."""
    with os.scandir(folder) as entries:
        return sorted(entry.name for entry in entries if entry.is_dir())
