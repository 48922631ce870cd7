"""scikit-learn's bundled 8x8 handwritten digits as a LightningDataModule: no download, CPU-friendly."""

from __future__ import annotations

import pytorch_lightning as pl
import torch

from pnas.data.loaders import TensorBatchLoader
from pnas.errors import ConfigError

__all__ = ["DigitsDataModule"]


class DigitsDataModule(pl.LightningDataModule):
    """The 1,797 8x8 grey-scale digits shipped with scikit-learn, split deterministically into train/val/test.

    Pixels are scaled to [0, 1] and standardised with the training split's mean and standard deviation.

    Args:
        batch_size: Samples per training batch.
        val_fraction: Fraction of all samples held out for validation.
        test_fraction: Fraction of all samples held out for testing.
        seed: Seed of the split and of the training order.
    """

    num_classes: int = 10
    in_channels: int = 1

    def __init__(
        self, batch_size: int = 64, val_fraction: float = 0.15, test_fraction: float = 0.2, seed: int = 0
    ) -> None:
        super().__init__()
        if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
            raise ConfigError(
                f"val_fraction and test_fraction must be in (0, 1) and sum to less than 1, "
                f"got {val_fraction} and {test_fraction}"
            )
        self.save_hyperparameters()
        self.batch_size, self.seed = batch_size, seed
        self.val_fraction, self.test_fraction = val_fraction, test_fraction
        self.splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def setup(self, stage: str | None = None) -> None:
        """Load the digits and make the splits (idempotent)."""
        if self.splits:
            return
        from sklearn.datasets import load_digits

        digits = load_digits()
        images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0
        labels = torch.tensor(digits.target, dtype=torch.long)
        order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(self.seed))
        num_test = round(len(labels) * self.test_fraction)
        num_val = round(len(labels) * self.val_fraction)
        parts = {
            "test": order[:num_test],
            "val": order[num_test : num_test + num_val],
            "train": order[num_test + num_val :],
        }
        mean, std = images[parts["train"]].mean(), images[parts["train"]].std()
        self.splits = {name: ((images[index] - mean) / std, labels[index]) for name, index in parts.items()}

    def train_dataloader(self) -> TensorBatchLoader:
        """Shuffled training batches."""
        return TensorBatchLoader(*self.splits["train"], self.batch_size, shuffle=True, seed=self.seed)

    def val_dataloader(self) -> TensorBatchLoader:
        """Validation batches in a fixed order."""
        return TensorBatchLoader(*self.splits["val"], max(self.batch_size, 256))

    def test_dataloader(self) -> TensorBatchLoader:
        """Test batches in a fixed order."""
        return TensorBatchLoader(*self.splits["test"], max(self.batch_size, 256))
