"""Random images in CIFAR-10's on-disk format, for tests and benchmarks that must not download anything."""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import numpy as np

from pnas.data.cifar10 import CIFAR10DataModule

__all__ = ["SyntheticCIFAR10DataModule", "accept_files", "write_cifar10_like"]

_TRAIN_FILES = [f"data_batch_{i}" for i in range(1, 6)]


def write_cifar10_like(root: str | Path, train_images: int, test_images: int, seed: int = 0) -> Path:
    """Write a ``cifar-10-batches-py`` folder of random uint8 images and labels 0..9 in torchvision's format.

    The training images are spread over the five ``data_batch_*`` files as evenly as possible. torchvision's
    ``CIFAR10`` checks the files' md5 sums; read them inside :func:`accept_files`.

    Args:
        root: Directory to write ``cifar-10-batches-py`` into (created if missing).
        train_images: Number of training images.
        test_images: Number of test images.
        seed: Seed of the random pixels and labels.

    Returns:
        ``root``, the directory to pass as ``data_dir`` (or ``root`` to ``CIFAR10``).
    """
    root = Path(root)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    per_file = [train_images // 5 + (i < train_images % 5) for i in range(5)]
    for name, count in [*zip(_TRAIN_FILES, per_file, strict=True), ("test_batch", test_images)]:
        entry = {
            "data": rng.integers(0, 256, (count, 3 * 32 * 32), dtype=np.uint8),
            "labels": rng.integers(0, 10, count).tolist(),
        }
        (folder / name).write_bytes(pickle.dumps(entry))
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": [f"class{i}" for i in range(10)]}))
    return root


@contextmanager
def accept_files(root: str | Path) -> Iterator[Path]:
    """Make torchvision's ``CIFAR10`` accept the files under ``root`` (e.g. from :func:`write_cifar10_like`).

    Inside the block, ``CIFAR10.train_list``, ``test_list`` and ``meta["md5"]`` carry the md5 sums of the files in
    ``root/cifar-10-batches-py``; on exit the originals are restored. It patches the class, so it affects every
    ``CIFAR10`` in the process (not thread-safe).

    Args:
        root: The directory holding ``cifar-10-batches-py``.

    Yields:
        ``root`` as a ``Path``.
    """
    from torchvision.datasets import CIFAR10

    root = Path(root)
    folder = root / CIFAR10.base_folder
    saved = CIFAR10.train_list, CIFAR10.test_list, CIFAR10.meta

    def md5(name: str) -> str:
        return hashlib.md5((folder / name).read_bytes()).hexdigest()

    patched = (
        [[name, md5(name)] for name, _ in saved[0]],
        [[name, md5(name)] for name, _ in saved[1]],
        {**saved[2], "md5": md5(saved[2]["filename"])},
    )
    CIFAR10.train_list, CIFAR10.test_list, CIFAR10.meta = patched
    try:
        yield root
    finally:
        CIFAR10.train_list, CIFAR10.test_list, CIFAR10.meta = saved


class SyntheticCIFAR10DataModule(CIFAR10DataModule):
    """:class:`~pnas.data.CIFAR10DataModule` on random CIFAR-shaped images: a smoke test of the real data path.

    ``prepare_data`` writes ``train_size + val_size`` training and ``test_size`` test images with
    :func:`write_cifar10_like` into ``data_dir`` unless a ``cifar-10-batches-py`` folder is there already, and every
    process that loads them (worker processes included) accepts the files with :func:`accept_files`. Nothing is
    downloaded. Labels are random, so accuracies stay near chance: it measures speed and checks plumbing.

    Args:
        data_dir: Where the ``cifar-10-batches-py`` folder is written.
        batch_size: Samples per batch.
        train_size: Training images.
        val_size: Validation images.
        test_size: Test images.
        num_workers: DataLoader worker processes.
        seed: Seed of the pixels and labels, and of the split.
        on_device: Keep the images on the training device (see :class:`~pnas.data.CIFAR10DataModule`).
        cutout: Side of the cutout square; 0: none.
    """

    def __init__(
        self,
        data_dir: str = "data/synthetic-cifar10",
        batch_size: int = 128,
        train_size: int = 4_500,
        val_size: int = 500,
        test_size: int = 1_000,
        num_workers: int = 0,
        seed: int = 0,
        on_device: bool = False,
        cutout: int = 0,
    ) -> None:
        super().__init__(data_dir, batch_size, train_size, val_size, num_workers, False, seed, on_device, cutout)
        self.test_size = test_size

    def prepare_data(self) -> None:
        """Write the random images if they are not there yet, then check that they load."""
        folder = self.data_dir / "cifar-10-batches-py"
        if not folder.is_dir():  # written beside it, then renamed: processes that race leave one whole folder
            self.data_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=self.data_dir, prefix=".writing-") as scratch:
                write_cifar10_like(scratch, self.train_size + self.val_size, self.test_size, seed=self.seed)
                with suppress(OSError):  # another process renamed its folder first
                    os.rename(Path(scratch) / folder.name, folder)
        with accept_files(self.data_dir):
            super().prepare_data()

    def setup(self, stage: str | None = None) -> None:
        """Load the splits as :class:`~pnas.data.CIFAR10DataModule` does, the random files accepted."""
        with accept_files(self.data_dir):
            super().setup(stage)
