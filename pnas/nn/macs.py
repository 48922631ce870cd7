"""Multiply-adds of one forward pass, counted from shapes on the meta device (no real computation)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import torch
from torch import nn
from torch.func import functional_call

from pnas.errors import ConfigError

__all__ = ["count_macs"]


def count_macs(network: nn.Module, input_size: Sequence[int]) -> int:
    """Multiply-adds of one forward pass of a single image of shape ``input_size``, e.g. ``(3, 224, 224)``.

    Counts what the published figures count: every multiply-add of a ``Conv2d`` (grouped and depthwise ones
    included: ``output elements * in_channels / groups * kernel area``) and of a ``Linear`` layer
    (``output elements * in_features``). Batch norm, pooling, activations, additions and biases are not counted.

    The forward pass runs on the meta device with the network's parameters and buffers swapped for meta
    tensors, in eval mode: it takes milliseconds even for large networks and leaves the network, its weights,
    batch-norm statistics and train/eval modes untouched.

    Args:
        network: Any module whose forward takes one image batch.
        input_size: The shape of one input, without the batch dimension.

    Raises:
        ConfigError: ``input_size`` is not a sequence of positive integers.
    """
    sizes = tuple(input_size) if isinstance(input_size, Sequence) else ()
    if not sizes or any(isinstance(size, bool) or not isinstance(size, int) or size < 1 for size in sizes):
        raise ConfigError(f"input_size must be a sequence of positive integers, got {input_size!r}")
    total = 0

    def conv_hook(module: nn.Conv2d, inputs: Any, output: torch.Tensor) -> None:
        nonlocal total
        kernel_area = module.kernel_size[0] * module.kernel_size[1]
        total += output.numel() * (module.in_channels // module.groups) * kernel_area

    def linear_hook(module: nn.Linear, inputs: Any, output: torch.Tensor) -> None:
        nonlocal total
        total += output.numel() * module.in_features

    modes = {module: module.training for module in network.modules()}
    handles = []
    for module in network.modules():
        if isinstance(module, nn.Conv2d):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
    tensors = dict(chain(network.named_parameters(), network.named_buffers()))
    dtype = next((t.dtype for t in tensors.values() if t.is_floating_point()), torch.float32)
    meta = {name: torch.empty_like(tensor, device="meta") for name, tensor in tensors.items()}
    try:
        network.eval()
        with torch.no_grad():
            functional_call(network, meta, (torch.empty((1, *sizes), device="meta", dtype=dtype),))
    finally:
        for handle in handles:
            handle.remove()
        for module, training in modes.items():
            module.train(training)
    return total
