"""Training-only parts of a cell network, as TF-slim's NASNet/PNASNet code builds them: drop-path and the aux head.

- Drop-path (``nasnet_utils.drop_path`` and ``NasNetABaseCell._apply_drop_path``, version ``v3``): during training
  the output of every operation except identity is zeroed for a whole example with probability ``1 - keep``, and
  kept outputs are divided by ``keep``. ``keep`` falls linearly with depth (cell ``i`` of ``n``, stem cells
  counted, reaches ``1 - (i + 1) / n * (1 - final_keep_prob)``) and with training time (from 1 at the first step
  to that value at the last). At evaluation nothing is dropped.
- The auxiliary head (``nasnet._build_aux_head``) classifies the output of the cell before the second reduction
  cell: ReLU, 5x5 average pooling with stride 3 (no padding), 1x1 convolution to 128 maps, batch norm, ReLU, a
  convolution to 768 maps whose kernel covers the whole pooled map, batch norm, ReLU, a linear layer. Its loss is
  added to the main loss with a weight (0.4 in the reference's training notes) while training.
"""

from __future__ import annotations

import torch
from torch import nn

from pnas.errors import ConfigError

__all__ = ["AuxiliaryHead", "DropPath", "drop_path", "scheduled_keep_prob"]

_AUX_POOL, _AUX_POOL_STRIDE, _AUX_PROJECTION, _AUX_FEATURES = 5, 3, 128, 768


def scheduled_keep_prob(final_keep_prob: float, layer_ratio: float, progress: float) -> float:
    """The keep probability of drop-path for one cell at one moment of training.

    Args:
        final_keep_prob: The keep probability of the last cell at the end of training (``drop_path_keep_prob``).
        layer_ratio: ``(cell index + 1) / number of cells``, stem cells counted: 1 for the last cell.
        progress: Fraction of training done, ``global step / total steps``; clipped to 1.
    """
    by_depth = 1.0 - layer_ratio * (1.0 - final_keep_prob)
    return 1.0 - min(max(progress, 0.0), 1.0) * (1.0 - by_depth)


def drop_path(x: torch.Tensor, keep_prob: float) -> torch.Tensor:
    """Zero whole examples of ``x`` with probability ``1 - keep_prob`` and divide the rest by ``keep_prob``."""
    if keep_prob >= 1.0:
        return x
    keep = torch.empty((x.shape[0],) + (1,) * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(keep_prob)
    return x * (keep / keep_prob)


class DropPath(nn.Module):
    """Drop-path with a keep probability the network sets as training goes on; the identity in evaluation mode.

    Attributes:
        keep_prob: The current keep probability (1: nothing is dropped).
    """

    def __init__(self) -> None:
        super().__init__()
        self.keep_prob = 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` with whole examples dropped while training, unchanged otherwise."""
        return drop_path(x, self.keep_prob) if self.training else x

    def extra_repr(self) -> str:
        """The current keep probability, for the module's printed form."""
        return f"keep_prob={self.keep_prob:.4f}"


class AuxiliaryHead(nn.Module):
    """The reference's auxiliary classifier on a ``channels x size x size`` feature map.

    Where the map is smaller than the 5x5 pooling window (tiny inputs), the window shrinks to the map. Its last
    convolution covers the whole pooled map, so it is built for one map size and refuses any other.

    Args:
        channels: Channels of the feature map it reads.
        size: Height and width of that map.
        num_classes: Number of output logits.
        image_size: The input image size that gives maps of ``size`` (for the error message).

    Raises:
        ConfigError: In ``forward``, when the map is not ``size x size``.
    """

    def __init__(self, channels: int, size: int, num_classes: int, image_size: int | None = None) -> None:
        super().__init__()
        self.size, self.image_size = size, image_size
        window = min(_AUX_POOL, size)
        pooled = (size - window) // _AUX_POOL_STRIDE + 1
        self.features = nn.Sequential(
            nn.ReLU(),
            nn.AvgPool2d(window, stride=_AUX_POOL_STRIDE),
            nn.Conv2d(channels, _AUX_PROJECTION, 1, bias=False),
            nn.BatchNorm2d(_AUX_PROJECTION),
            nn.ReLU(),
            nn.Conv2d(_AUX_PROJECTION, _AUX_FEATURES, pooled, bias=False),
            nn.BatchNorm2d(_AUX_FEATURES),
            nn.ReLU(),
        )
        self.classifier = nn.Linear(_AUX_FEATURES, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Auxiliary class logits."""
        if tuple(x.shape[-2:]) != (self.size, self.size):
            built = f"{self.image_size}x{self.image_size} images, " if self.image_size else ""
            raise ConfigError(
                f"the auxiliary head was built for {built}{self.size}x{self.size} feature maps, but got "
                f"{x.shape[-2]}x{x.shape[-1]}: set image_size (model.image_size) to the size of the training images"
            )
        return self.classifier(self.features(x).flatten(1))
