"""LightningDataModules: the embedded digits (default, no download) and CIFAR-10, and in-memory batch loaders."""

from __future__ import annotations

from pnas.data.cifar10 import CIFAR10DataModule
from pnas.data.device import DeviceImageLoader
from pnas.data.digits import DigitsDataModule
from pnas.data.loaders import TensorBatchLoader

__all__ = ["CIFAR10DataModule", "DeviceImageLoader", "DigitsDataModule", "TensorBatchLoader"]
