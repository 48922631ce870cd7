"""A batch iterator over tensors already in memory (or already on the GPU): no per-sample collation."""

from __future__ import annotations

from collections.abc import Iterator

import torch

__all__ = ["TensorBatchLoader"]


class TensorBatchLoader:
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
            raise ValueError(f"inputs and targets differ in length: {len(inputs)} != {len(targets)}")
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.inputs, self.targets = inputs, targets
        self.batch_size, self.shuffle, self.drop_last, self.seed = batch_size, shuffle, drop_last, seed
        self._epoch = 0

    def __len__(self) -> int:
        full, rest = divmod(len(self.inputs), self.batch_size)
        return full if self.drop_last or rest == 0 else full + 1

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        count = len(self.inputs)
        if self.shuffle:
            generator = torch.Generator().manual_seed(self.seed + self._epoch)
            order = torch.randperm(count, generator=generator).to(self.inputs.device)
            self._epoch += 1
        else:
            order = None
        for batch in range(len(self)):
            start = batch * self.batch_size
            if order is None:
                yield self.inputs[start : start + self.batch_size], self.targets[start : start + self.batch_size]
            else:
                index = order[start : start + self.batch_size]
                yield self.inputs[index], self.targets[index]
