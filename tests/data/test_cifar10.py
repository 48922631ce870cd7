"""CIFAR-10 through the real torchvision dataset code, on a tiny dataset the tests write in its on-disk format."""

from __future__ import annotations

import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

from pnas.data import CIFAR10DataModule
from pnas.data.synthetic import accept_files, write_cifar10_like
from pnas.errors import ConfigError, DataNotFoundError


def write_tiny_cifar10(root: Path, per_batch: int = 8, test: int = 6) -> Path:
    """Write cifar-10-batches-py with ``per_batch`` images per training batch file; return ``root``."""
    return write_cifar10_like(root, train_images=5 * per_batch, test_images=test)


@pytest.fixture
def tiny_cifar(tmp_path: Path) -> Iterator[Path]:
    """A tiny CIFAR-10 in ``tmp_path`` that torchvision's ``CIFAR10`` accepts during the test."""
    with accept_files(write_tiny_cifar10(tmp_path)) as root:
        yield root


def test_cifar10_splits_and_batches(tiny_cifar):
    data = CIFAR10DataModule(
        data_dir=str(tiny_cifar), batch_size=4, train_size=30, val_size=8, num_workers=0, download=False
    )
    data.prepare_data()
    data.setup()
    assert [len(data.datasets[s]) for s in ("train", "val", "test")] == [30, 8, 6]
    train_indices, val_indices = set(data.datasets["train"].indices), set(data.datasets["val"].indices)
    assert not train_indices & val_indices
    x, y = next(iter(data.train_dataloader()))
    assert x.shape == (4, 3, 32, 32) and x.dtype == torch.float32 and y.shape == (4,)
    x_val, _ = next(iter(data.val_dataloader()))
    assert torch.equal(x_val, next(iter(data.val_dataloader()))[0])  # validation is not augmented
    again = CIFAR10DataModule(data_dir=str(tiny_cifar), train_size=30, val_size=8, num_workers=0, download=False)
    again.setup()
    assert again.datasets["val"].indices == data.datasets["val"].indices


def test_cifar10_rejects_splits_beyond_the_data(tiny_cifar):
    data = CIFAR10DataModule(data_dir=str(tiny_cifar), train_size=35, val_size=6, num_workers=0, download=False)
    with pytest.raises(ConfigError, match="sum to at most 40, got 35 \\+ 6"):
        data.setup()


def test_missing_cifar10_without_download_says_where_it_looked(tmp_path):
    data = CIFAR10DataModule(data_dir=str(tmp_path / "nowhere"), download=False)
    with pytest.raises(DataNotFoundError) as error:
        data.prepare_data()
    message = str(error.value)
    assert "\n" not in message
    assert str((tmp_path / "nowhere").resolve()) in message and "cifar-10-python.tar.gz" in message
    assert "download: true" in message


def test_failed_download_gives_a_one_line_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr("torchvision.datasets.cifar.download_and_extract_archive", offline)
    data = CIFAR10DataModule(data_dir=str(tmp_path), download=True)
    with pytest.raises(DataNotFoundError, match="could not be downloaded .*network is unreachable") as error:
        data.prepare_data()
    assert "\n" not in str(error.value)
