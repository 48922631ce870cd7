"""scikit-learn's bundled 8x8 handwritten digits as a LightningDataModule: no download, CPU-friendly."""

from __future__ import annotations

import pytorch_lightning as pl
import torch

from pnas.data.device import DeviceImageLoader, _DeviceTensors, trainer_device
from pnas.data.loaders import TensorBatchLoader
from pnas.errors import ConfigError, require_integer

__all__ = ["DigitsDataModule"]


class DigitsDataModule(pl.LightningDataModule):
    """The 1,797 8x8 grey-scale digits shipped with scikit-learn, split deterministically into train/val/test.

    Pixels are scaled to [0, 1] and standardised with the training split's mean and standard deviation. With
    ``on_device=True`` the raw uint8 pixels (0..16) are copied once to the training device (the trainer's root
    device, the CPU when no trainer is attached) and standardised there per batch by
    :class:`~pnas.data.DeviceImageLoader`: the same splits and training order, equal batches up to float rounding.

    Args:
        batch_size: Samples per training batch.
        val_fraction: Fraction of all samples held out for validation.
        test_fraction: Fraction of all samples held out for testing.
        seed: Seed of the split and of the training order.
        on_device: Keep the raw images on the training device and make the batches there.

    Attributes:
        splits: Each split's images and labels after ``setup``: standardised float images, or with ``on_device`` the
            raw uint8 images.
        tensors: With ``on_device``, ``splits`` on the CPU (``host``) and on the device last asked for (``tensors``).
    """

    num_classes: int = 10
    in_channels: int = 1

    def __init__(
        self,
        batch_size: int = 64,
        val_fraction: float = 0.15,
        test_fraction: float = 0.2,
        seed: int = 0,
        on_device: bool = False,
    ) -> None:
        super().__init__()
        require_integer("batch_size", batch_size)
        if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
            raise ConfigError(
                f"val_fraction and test_fraction must be in (0, 1) and sum to less than 1, "
                f"got {val_fraction} and {test_fraction}"
            )
        self.save_hyperparameters()
        self.batch_size, self.seed, self.on_device = batch_size, seed, on_device
        self.val_fraction, self.test_fraction = val_fraction, test_fraction
        self.splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.tensors: _DeviceTensors | None = None
        self._mean_std = (0.0, 1.0)

    def setup(self, stage: str | None = None) -> None:
        """Load the digits and make the splits (idempotent)."""
        if self.splits:
            return
        from sklearn.datasets import load_digits

        digits = load_digits()
        raw = torch.tensor(digits.images, dtype=torch.uint8 if self.on_device else torch.float32).unsqueeze(1)
        labels = torch.tensor(digits.target, dtype=torch.long)
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(self.seed))
        num_test = round(len(labels) * self.test_fraction)
        num_val = round(len(labels) * self.val_fraction)
        parts = {
            "test": order[:num_test],
            "val": order[num_test : num_test + num_val],
            "train": order[num_test + num_val :],
        }
        if self.on_device:
            train = raw[parts["train"]].float()
            self._mean_std = (train.mean().item(), train.std().item())
            self.splits = {name: (raw[index], labels[index]) for name, index in parts.items()}
            self.tensors = _DeviceTensors(self.splits)
            return
        images = raw / 16.0
        mean, std = images[parts["train"]].mean(), images[parts["train"]].std()
        self.splits = {name: ((images[index] - mean) / std, labels[index]) for name, index in parts.items()}

    def _loader(self, split: str, batch_size: int, shuffle: bool) -> TensorBatchLoader | DeviceImageLoader:
        if self.tensors is None:
            return TensorBatchLoader(*self.splits[split], batch_size, shuffle=shuffle, seed=self.seed)
        images, labels = self.tensors.on(trainer_device(self))[split]
        mean, std = self._mean_std
        return DeviceImageLoader(images, labels, batch_size, (mean,), (std,), shuffle=shuffle, seed=self.seed)

    def train_dataloader(self) -> TensorBatchLoader | DeviceImageLoader:
        """Shuffled training batches."""
        return self._loader("train", self.batch_size, shuffle=True)

    def val_dataloader(self) -> TensorBatchLoader | DeviceImageLoader:
        """Validation batches in a fixed order."""
        return self._loader("val", max(self.batch_size, 256), shuffle=False)

    def test_dataloader(self) -> TensorBatchLoader | DeviceImageLoader:
        """Test batches in a fixed order."""
        return self._loader("test", max(self.batch_size, 256), shuffle=False)
