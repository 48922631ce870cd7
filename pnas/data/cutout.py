"""Cutout (DeVries & Taylor, 2017): a square of each training image set to zero after normalisation.

The square's centre is drawn uniformly over the image and the square is clipped at the borders, as the paper's
code does it, so a square near an edge covers less. Zero after normalisation is the dataset's mean colour.
"""

from __future__ import annotations

import torch

from pnas.errors import require_integer

__all__ = ["Cutout", "cutout_keep_mask"]


def cutout_keep_mask(
    height: int, width: int, centers_y: torch.Tensor, centers_x: torch.Tensor, size: int
) -> torch.Tensor:
    """Where each image keeps its pixels: ``False`` inside the ``size`` x ``size`` square at its centre.

    The square covers rows ``cy - size // 2`` to ``cy - size // 2 + size - 1`` (and the same for columns), clipped
    to the image.

    Args:
        height: Image height.
        width: Image width.
        centers_y: Row of each image's square centre, shape ``(B,)``.
        centers_x: Column of each image's square centre, shape ``(B,)``.
        size: Side of the square in pixels.

    Returns:
        A boolean tensor of shape ``(B, 1, height, width)`` on the centres' device.
    """
    device = centers_y.device
    rows = torch.arange(height, device=device)[None, :]
    cols = torch.arange(width, device=device)[None, :]
    top, left = (centers_y - size // 2)[:, None], (centers_x - size // 2)[:, None]
    cut_rows = (rows >= top) & (rows < top + size)
    cut_cols = (cols >= left) & (cols < left + size)
    return ~(cut_rows[:, :, None] & cut_cols[:, None, :])[:, None]


class Cutout:
    """A torchvision-style transform: zero a ``size`` x ``size`` square of a normalised ``(C, H, W)`` tensor.

    Place it after ``Normalize``. The centre is drawn from torch's global generator (seeded per DataLoader worker).

    Args:
        size: Side of the square in pixels (16 for CIFAR-10 in the paper); 0 leaves images as they are.

    Raises:
        ConfigError: ``size`` is not an integer >= 0.
    """

    def __init__(self, size: int) -> None:
        require_integer("cutout", size, 0)
        self.size = size

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        """``image`` with its square zeroed."""
        if self.size == 0:
            return image
        height, width = image.shape[-2:]
        centers = torch.randint(0, height, (1,)), torch.randint(0, width, (1,))
        return image * cutout_keep_mask(height, width, *centers, self.size)[0]

    def __repr__(self) -> str:
        return f"Cutout(size={self.size})"
