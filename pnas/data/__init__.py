"""LightningDataModules (the embedded digits, the default; CIFAR-10; ImageNet-style folders) and batch loaders."""

from __future__ import annotations

from pnas.data.cifar10 import CIFAR10DataModule
from pnas.data.device import DeviceImageLoader
from pnas.data.digits import DigitsDataModule
from pnas.data.image_folder import ImageFolderDataModule
from pnas.data.loaders import TensorBatchLoader

__all__ = ["CIFAR10DataModule", "DeviceImageLoader", "DigitsDataModule", "ImageFolderDataModule", "TensorBatchLoader"]
