"""Image batches made where the images live (CPU or GPU): uint8 storage, batch-wise augmentation and normalisation."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from pnas.data.cutout import cutout_keep_mask
from pnas.data.loaders import _Batches
from pnas.errors import ConfigError, require_integer

__all__ = ["DeviceImageLoader"]


class DeviceImageLoader(_Batches):
    """Iterate ``(images, labels)`` batches of uint8 images held on one device, augmented and normalised there.

    Each batch is gathered from the stored ``(N, C, H, W)`` uint8 tensor, optionally augmented as a whole (random
    crop of the original size from the image zero-padded by ``pad`` pixels, as torchvision's
    ``RandomCrop(H, padding=pad)``, then a horizontal flip with probability 0.5, as ``RandomHorizontalFlip()``), and
    normalised in one fused op, ``(x - mean) / std``. Nothing runs per image in Python, and nothing crosses between
    devices except one small tensor per epoch: epoch ``e`` draws the order, the crop offsets and the flips from
    ``torch.Generator().manual_seed(seed + e)`` on the CPU (the order first, as :class:`TensorBatchLoader` does), so
    the batches do not depend on the device and equal seeds give equal batches. Lightning accepts it anywhere a
    dataloader is expected.

    Args:
        images: uint8 tensor of shape ``(N, C, H, W)``, on the device the batches should be made on.
        labels: Integer tensor of shape ``(N,)``; batches carry them as int64.
        batch_size: Images per batch.
        mean: Per-channel mean in raw pixel units (e.g. CIFAR-10's mean times 255); one value applies to all channels.
        std: Per-channel standard deviation in raw pixel units; one value applies to all channels.
        shuffle: Reshuffle the order every epoch.
        drop_last: Drop the final incomplete batch, so every batch has the same shape.
        seed: Seed of the order, crops and flips; epoch ``e`` uses ``seed + e``.
        pad: Random-crop padding in pixels (0: no crop). The padding is 0 before normalisation.
        flip: Flip images horizontally with probability 0.5.
        channels_last: Return batches in the channels-last memory format.
        cutout: Side of a square zeroed in every image after normalisation, its centre drawn per image and epoch
            (:mod:`pnas.data.cutout`); 0: none.

    Raises:
        ConfigError: An argument is out of range or the tensors do not fit together; the message names it.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        mean: Sequence[float] | torch.Tensor = (0.0,),
        std: Sequence[float] | torch.Tensor = (1.0,),
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int = 0,
        pad: int = 0,
        flip: bool = False,
        channels_last: bool = False,
        cutout: int = 0,
    ) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise ConfigError(
                f"images must be a uint8 tensor of shape (N, C, H, W), got {images.dtype} {tuple(images.shape)}"
            )
        if labels.dim() != 1 or len(labels) != len(images):
            raise ConfigError(f"images and labels differ in length: {len(images)} != {tuple(labels.shape)}")
        if pad < 0:
            raise ConfigError(f"pad must be >= 0, got {pad}")
        require_integer("cutout", cutout, 0)
        super().__init__(len(images), batch_size, shuffle, drop_last, seed)
        channels = images.shape[1]
        stats = {}
        for name, value in (("mean", mean), ("std", std)):
            stats[name] = torch.as_tensor(value, dtype=torch.float64).flatten()
            if len(stats[name]) not in (1, channels):
                raise ConfigError(f"{name} needs 1 or {channels} values (one per channel), got {len(stats[name])}")
        if not bool((stats["std"] > 0).all()):
            raise ConfigError(f"std must be > 0, got {stats['std'].tolist()}")
        self.images, self.labels = images, labels.to(torch.int64)
        self.pad, self.flip, self.channels_last, self.cutout = pad, flip, channels_last, cutout
        self.mean, self.std = stats["mean"].tolist(), stats["std"].tolist()
        # (x - mean) / std as one addcmul: x * scale + bias.
        scale = (1 / stats["std"]).expand(channels)
        self._scale = scale.reshape(1, channels, 1, 1).to(torch.float32).to(images.device)
        self._bias = (-stats["mean"] * scale).reshape(1, channels, 1, 1).to(torch.float32).to(images.device)

    @property
    def device(self) -> torch.device:
        """The device the images are on and the batches are made on."""
        return self.images.device

    def to(self, device: torch.device | str) -> DeviceImageLoader:
        """This loader (settings and epoch) with its tensors on ``device``; tensors already there are shared."""
        moved = copy.copy(self)
        moved.images, moved.labels = self.images.to(device), self.labels.to(device)
        moved._scale, moved._bias = self._scale.to(device), self._bias.to(device)
        return moved

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        generator = self._next_generator(self.shuffle or self.pad > 0 or self.flip or self.cutout > 0)
        plan = self._draw(generator) if generator is not None else {}
        order = plan.get("order")
        height, width = self.images.shape[-2:]
        for span, index in self._spans(order):
            images = self.images[index]
            if self.pad > 0 or self.flip:
                shift_y, shift_x, flips = (plan[key][span] if key in plan else None for key in ("dy", "dx", "flip"))
                images = _crop_and_flip(images, self.pad, shift_y, shift_x, flips)
            if self.channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            batch = torch.addcmul(self._bias, images.float(), self._scale)
            if self.cutout > 0:
                batch = batch * cutout_keep_mask(height, width, plan["cy"][span], plan["cx"][span], self.cutout)
            yield batch, self.labels[index]

    def _draw(self, generator: torch.Generator) -> dict[str, torch.Tensor]:
        """One epoch's order, crop offsets and flips, drawn on the CPU and moved to the device as one tensor."""
        rows: dict[str, torch.Tensor] = {}
        if self.shuffle:
            rows["order"] = torch.randperm(self.count, generator=generator)
        if self.pad > 0:
            rows["dy"], rows["dx"] = torch.randint(-self.pad, self.pad + 1, (2, self.count), generator=generator)
        if self.flip:
            rows["flip"] = (torch.rand(self.count, generator=generator) < 0.5).long()
        if self.cutout > 0:  # drawn last, so the other draws are the same with or without cutout
            rows["cy"] = torch.randint(0, self.images.shape[-2], (self.count,), generator=generator)
            rows["cx"] = torch.randint(0, self.images.shape[-1], (self.count,), generator=generator)
        stacked = torch.stack(list(rows.values())).to(self.device)
        return dict(zip(rows, stacked.unbind(0), strict=True))


def _crop_and_flip(
    images: torch.Tensor,
    pad: int,
    shift_y: torch.Tensor | None,
    shift_x: torch.Tensor | None,
    flips: torch.Tensor | None,
) -> torch.Tensor:
    """Crop each image of ``images`` at its offset from its zero-padded self, then flip the marked ones: one gather.

    Output pixel ``(y, x)`` of image ``b`` is ``padded[b, :, y + pad + shift_y[b], x' + pad + shift_x[b]]`` with
    ``x' = W - 1 - x`` where ``flips[b]`` is set, else ``x``: a crop of the padded image, then a flip, as torchvision
    does it. Missing offsets are 0; missing flips are off.
    """
    count, channels, height, width = images.shape
    padded = F.pad(images, (pad, pad, pad, pad)) if pad > 0 else images
    padded_width = width + 2 * pad
    device = images.device
    rows = torch.arange(height, device=device).expand(count, height) + pad
    cols = torch.arange(width, device=device).expand(count, width)
    if flips is not None:
        cols = torch.where(flips.bool()[:, None], width - 1 - cols, cols)
    cols = cols + pad
    if shift_y is not None and shift_x is not None:
        rows, cols = rows + shift_y[:, None], cols + shift_x[:, None]
    index = (rows[:, :, None] * padded_width + cols[:, None, :]).reshape(count, 1, height * width)
    flat = padded.reshape(count, channels, -1).gather(2, index.expand(count, channels, height * width))
    return flat.view(count, channels, height, width)


def trainer_device(datamodule: Any) -> torch.device:
    """The root device of the trainer attached to ``datamodule``, or the CPU when none is attached."""
    try:
        trainer = datamodule.trainer
        device = None if trainer is None else trainer.strategy.root_device
    except (AttributeError, RuntimeError):
        device = None
    return _canonical(torch.device("cpu") if device is None else torch.device(device))


def _canonical(device: torch.device) -> torch.device:
    """``cuda`` -> ``cuda:<current>``, so one device compares equal to itself however it was named."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


class _DeviceTensors:
    """Named groups of host (CPU) tensors and at most one copy of them on another device, reused until it changes.

    Args:
        host: Group name -> tensors, on the CPU.
    """

    def __init__(self, host: Mapping[str, tuple[torch.Tensor, ...]]) -> None:
        self.host = dict(host)
        self.device = self.host_device = torch.device("cpu")
        self.tensors = self.host

    def on(self, device: torch.device | str) -> dict[str, tuple[torch.Tensor, ...]]:
        """The groups on ``device``: copied there on first use (dropping any other device's copy), then reused."""
        device = _canonical(torch.device(device))
        if device != self.device:
            self.tensors = {}  # free the old copy before making the new one
            copy_there = {name: tuple(t.to(device) for t in group) for name, group in self.host.items()}
            self.tensors = self.host if device == self.host_device else copy_there
            self.device = device
        return self.tensors
