"""Zero-cost proxies: scores of an untrained network, computed at initialisation on one batch, that rank networks.

- ``synflow`` (Tanaka et al., 2020): the network with every parameter made positive, in float64, batch norm in
  evaluation mode, fed an all-ones image; the sum over parameters of ``|theta * dR/dtheta|`` for ``R`` the sum of
  the outputs. Data-free. Reported as its natural log.
- ``naswot`` (Mellor et al., 2021): the log-determinant of the batch's kernel of ReLU activation patterns,
  ``K = C C^T + (1 - C)(1 - C)^T`` over the binary codes ``C`` of every ReLU's input, plus the identity (so a
  network whose codes coincide scores a finite value).
- ``snip`` (Lee et al., 2019): the sum of ``|theta * dL/dtheta|`` for the cross-entropy ``L`` of the batch, log.
- ``grad_norm``: the Euclidean norm of ``dL/dtheta`` over all parameters, log.

Logs are taken of the score plus 1e-30, so a network with no path from input to output still scores a finite
number. Every score is deterministic given the network's initial weights and the batch.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PROXIES", "zero_cost_proxies"]

#: The proxies :func:`zero_cost_proxies` computes, in the order it returns them.
PROXIES: tuple[str, ...] = ("synflow", "naswot", "snip", "grad_norm")

_FLOOR = 1e-30


def _relu_modules(network: nn.Module) -> list[nn.Module]:
    return [module for module in network.modules() if isinstance(module, nn.ReLU)]


def _gradient_scores(network: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """``naswot``, ``snip`` and ``grad_norm`` from one forward and backward pass in training mode."""
    kernel = torch.zeros(len(images), len(images), dtype=torch.float64)

    def record(_module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
        codes = (inputs[0].detach() > 0).flatten(1).double()
        kernel.add_(codes @ codes.T + (1 - codes) @ (1 - codes).T)

    hooks = [module.register_forward_pre_hook(record) for module in _relu_modules(network)]
    try:
        network.train()
        network.zero_grad(set_to_none=True)
        F.cross_entropy(network(images), labels).backward()
    finally:
        for hook in hooks:
            hook.remove()
    snip = squared = 0.0
    for parameter in network.parameters():
        if parameter.grad is not None:
            snip += float((parameter.detach() * parameter.grad).abs().sum())
            squared += float(parameter.grad.pow(2).sum())
    naswot = float(torch.linalg.slogdet(kernel + torch.eye(len(images), dtype=torch.float64))[1])
    return {"naswot": naswot, "snip": math.log(snip + _FLOOR), "grad_norm": 0.5 * math.log(squared + _FLOOR)}


def _synflow(network: nn.Module, image_shape: tuple[int, ...]) -> float:
    """The log synflow score; leaves the network's parameters positive and in float64."""
    network.double().eval()
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.abs_()
    network.zero_grad(set_to_none=True)
    network(torch.ones(1, *image_shape, dtype=torch.float64)).sum().backward()
    total = 0.0
    for parameter in network.parameters():
        if parameter.grad is not None:
            total += float((parameter.detach() * parameter.grad).abs().sum())
    return math.log(total + _FLOOR)


def zero_cost_proxies(network: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    """Every proxy of :data:`PROXIES` for an untrained ``network`` on one batch.

    The network is consumed: synflow, computed last, makes its parameters positive and float64.

    Args:
        network: A freshly initialised classifier, on the CPU, in float32.
        images: One batch ``(n, C, H, W)``, n >= 2.
        labels: The batch's class indices ``(n,)``.

    Returns:
        Proxy name -> finite score; higher predicts a better network.
    """
    scores = _gradient_scores(network, images, labels)
    scores["synflow"] = _synflow(network, tuple(images.shape[1:]))
    return {name: scores[name] for name in PROXIES}
