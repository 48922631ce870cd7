from __future__ import annotations

import pytest
import torch

from pnas.data import DigitsDataModule, TensorBatchLoader


def test_digits_splits_are_deterministic_disjoint_and_complete():
    first, second = DigitsDataModule(seed=3), DigitsDataModule(seed=3)
    first.setup(), second.setup()
    sizes = {name: len(y) for name, (_, y) in first.splits.items()}
    assert sizes == {"train": 1168, "val": 270, "test": 359} and sum(sizes.values()) == 1797
    for name in sizes:
        assert torch.equal(first.splits[name][0], second.splits[name][0])
    other = DigitsDataModule(seed=4)
    other.setup()
    assert not torch.equal(first.splits["test"][1], other.splits["test"][1])
    rows = {tuple(x.flatten().tolist()) for split in first.splits.values() for x in split[0]}
    assert len(rows) > 1700  # splits do not share samples (the raw data has a few exact duplicates)


def test_digits_batches_and_standardisation():
    data = DigitsDataModule(batch_size=32)
    data.setup()
    x, y = next(iter(data.train_dataloader()))
    assert x.shape == (32, 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.long
    train_x = data.splits["train"][0]
    assert abs(train_x.mean().item()) < 1e-4 and abs(train_x.std().item() - 1) < 1e-3
    assert set(data.splits["test"][1].tolist()) == set(range(10))


def test_digits_rejects_bad_fractions():
    with pytest.raises(ValueError, match="sum to less than 1"):
        DigitsDataModule(val_fraction=0.6, test_fraction=0.5)


def test_tensor_batch_loader_lengths_and_order():
    x, y = torch.arange(10).float().unsqueeze(1), torch.arange(10)
    assert len(TensorBatchLoader(x, y, 4)) == 3
    assert len(TensorBatchLoader(x, y, 4, drop_last=True)) == 2
    plain = [batch_y.tolist() for _, batch_y in TensorBatchLoader(x, y, 4)]
    assert plain == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    loader = TensorBatchLoader(x, y, 4, shuffle=True, seed=1)
    epoch_1 = torch.cat([b for _, b in loader]).tolist()
    epoch_2 = torch.cat([b for _, b in loader]).tolist()
    assert sorted(epoch_1) == list(range(10)) and epoch_1 != epoch_2
    again = torch.cat([b for _, b in TensorBatchLoader(x, y, 4, shuffle=True, seed=1)]).tolist()
    assert again == epoch_1
    with pytest.raises(ValueError, match="differ in length"):
        TensorBatchLoader(x, y[:5], 4)
