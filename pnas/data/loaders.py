"""Batch loaders: one over tensors already in memory (or on the GPU), and the ``DataLoader`` of file datasets."""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch.utils.data import DataLoader, Dataset

from pnas.errors import ConfigError

__all__ = ["TensorBatchLoader", "dataset_loader"]


def dataset_loader(dataset: Dataset, batch_size: int, shuffle: bool, num_workers: int) -> DataLoader:
    """The ``DataLoader`` of one fit over a dataset of files: workers kept for the fit, memory pinned for a GPU.

    Data modules build a new one for every fit, so its worker processes draw their augmentation from the seed set
    before that fit, not from whatever was trained before it in the process.

    Args:
        dataset: A map-style dataset.
        batch_size: Samples per batch.
        shuffle: Reshuffle every epoch.
        num_workers: Worker processes (0: load in this process).
    """
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=num_workers,
        pin_memory=torch.cuda.is_available(),
        persistent_workers=num_workers > 0,
    )


class _Batches:
    """Order and batch boundaries of ``count`` samples, shared by the in-memory loaders.

    Epoch ``e`` draws from ``torch.Generator().manual_seed(seed + e)`` on the CPU, the permutation first, so every
    loader built on this class visits the samples in the same order for the same seed.

    Args:
        count: Number of samples.
        batch_size: Samples per batch.
        shuffle: Reshuffle the order every epoch.
        drop_last: Drop the final incomplete batch.
        seed: Seed of the random draws; epoch ``e`` uses ``seed + e``.
    """

    def __init__(self, count: int, batch_size: int, shuffle: bool, drop_last: bool, seed: int) -> None:
        if batch_size < 1:
            raise ConfigError(f"batch_size must be >= 1, got {batch_size}")
        self.count, self.batch_size, self.shuffle, self.drop_last, self.seed = (
            count,
            batch_size,
            shuffle,
            drop_last,
            seed,
        )
        self._epoch = 0

    def __len__(self) -> int:
        full, rest = divmod(self.count, self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def _next_generator(self, draws: bool) -> torch.Generator | None:
        """The seeded CPU generator of the next epoch when that epoch draws anything, else ``None``."""
        if not draws:
            return None
        generator = torch.Generator().manual_seed(self.seed + self._epoch)
        self._epoch += 1
        return generator

    def _spans(self, order: torch.Tensor | None) -> Iterator[tuple[slice, slice | torch.Tensor]]:
        """Each batch's positions in the epoch and the sample indices there (a slice when ``order`` is ``None``)."""
        for batch in range(len(self)):
            span = slice(batch * self.batch_size, (batch + 1) * self.batch_size)
            yield span, span if order is None else order[span]


class TensorBatchLoader(_Batches):
    """Iterate ``(inputs, targets)`` mini-batches by slicing whole tensors.

    Much faster than a ``DataLoader`` over a ``TensorDataset`` for small in-memory datasets, and it keeps data on
    whatever device the tensors live on. Lightning accepts it anywhere a dataloader is expected.

    Args:
        inputs: Tensor of shape ``(n, ...)``.
        targets: Tensor of shape ``(n,)``.
        batch_size: Samples per batch.
        shuffle: Reshuffle the order every epoch.
        drop_last: Drop the final incomplete batch.
        seed: Seed of the shuffling; epoch ``e`` uses ``seed + e``, so runs are reproducible.

    Raises:
        ConfigError: ``inputs`` and ``targets`` differ in length, or ``batch_size`` is below 1.
    """

    def __init__(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
    ) -> None:
        if len(inputs) != len(targets):
            raise ConfigError(f"inputs and targets differ in length: {len(inputs)} != {len(targets)}")
        super().__init__(len(inputs), batch_size, shuffle, drop_last, seed)
        self.inputs, self.targets = inputs, targets

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = self._next_generator(self.shuffle)
        order = None if generator is None else torch.randperm(self.count, generator=generator).to(self.inputs.device)
        for _, index in self._spans(order):
            yield self.inputs[index], self.targets[index]
