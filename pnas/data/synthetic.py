"""Random images in CIFAR-10's on-disk format, for tests and benchmarks that must not download anything."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["accept_files", "write_cifar10_like"]

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
