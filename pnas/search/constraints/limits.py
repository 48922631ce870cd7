"""Hard limits on costs known before training (parameters, multiply-adds): cells over a limit are never proposed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from pnas.errors import ConfigError
from surrogate import CellTokens

if TYPE_CHECKING:
    from pnas.nn.costs import CellCosts

__all__ = ["LIMITS", "CellConstraints", "CostLimits", "LatencyLimit", "network_costs"]

#: Each limit's name and the cost it bounds, with the unit its messages use.
LIMITS: dict[str, tuple[str, str]] = {"max_params": ("params", "parameters"), "max_macs": ("macs", "multiply-adds")}

CostFunction = Callable[[CellTokens], Mapping[str, np.ndarray]]


class CostLimits:
    """Which cells fit under the given limits, from a cost function over encoded cells.

    Args:
        costs: Encoded cells -> each cost (``"params"``, ``"macs"``) of each cell, e.g.
            :meth:`pnas.nn.costs.CellCosts.of_tokens`.
        **limits: ``max_params`` and/or ``max_macs``; ``None`` or absent: no limit.

    Raises:
        ConfigError: An unknown limit, or one below 1.
    """

    def __init__(self, costs: CostFunction, **limits: float | None) -> None:
        unknown = sorted(set(limits) - set(LIMITS))
        if unknown:
            raise ConfigError(f"unknown limit {unknown[0]!r}; the limits are {', '.join(LIMITS)}")
        self.costs = costs
        self.limits = {name: value for name, value in limits.items() if value is not None}
        for name, value in self.limits.items():
            if not value >= 1:
                raise ConfigError(f"{name} must be >= 1, got {value!r}")

    def __bool__(self) -> bool:
        return bool(self.limits)

    def settings(self) -> dict[str, Any]:
        """The limits, for a search's fingerprint."""
        return dict(sorted(self.limits.items()))

    def fits(self, tokens: CellTokens, step: int) -> np.ndarray:
        """Whether each encoded cell is within every limit.

        Raises:
            ConfigError: No cell fits; the message names the limit and the smallest cost seen.
        """
        fits = np.ones(len(tokens), dtype=bool)
        if not self.limits or not len(tokens):
            return fits
        costs = self.costs(tokens)
        smallest: dict[str, int] = {}
        for name, maximum in self.limits.items():
            values = np.asarray(costs[LIMITS[name][0]])
            fits &= values <= maximum
            smallest[name] = int(values.min())
        if not fits.any():
            raise ConfigError(_nothing_fits(self.limits, smallest, step, len(tokens)))
        return fits


class LatencyLimit:
    """A limit on a cost measured cell by cell (latency): checked on each cell about to be proposed, not on all.

    Args:
        latency: Cell -> its latency in milliseconds (e.g. :meth:`pnas.nn.latency.CellLatency.of_cell`).
        max_latency_ms: The limit.
        device: Where the latency is measured (recorded in the settings).

    Raises:
        ConfigError: The limit is not above 0.
    """

    def __init__(self, latency: Callable[[Any], float], max_latency_ms: float, device: str = "cpu") -> None:
        if not max_latency_ms > 0:
            raise ConfigError(f"max_latency_ms must be > 0, got {max_latency_ms!r}")
        self.latency, self.max_latency_ms, self.device = latency, float(max_latency_ms), device

    def settings(self) -> dict[str, Any]:
        """The limit and the device, for a search's fingerprint."""
        return {"max_latency_ms": self.max_latency_ms, "latency_device": self.device}

    def admits(self, cell: Any) -> bool:
        """Whether the cell's latency is within the limit."""
        return self.latency(cell) <= self.max_latency_ms

    def nothing_fits(self, too_slow: list[Any], step: int) -> ConfigError:
        """The one-line error for a step none of whose timed cells (``too_slow``) fits, naming the fastest."""
        fastest = min(self.latency(cell) for cell in too_slow)
        return ConfigError(
            f"no cell of step {step} fits max_latency_ms={self.max_latency_ms:g} (the fastest takes "
            f"{fastest:.3g} ms on {self.device}), among {len(too_slow):,} measured; raise the limit or make the "
            "network smaller (num_cells, filters)"
        )


@dataclass(frozen=True)
class CellConstraints:
    """Everything a strategy checks before it proposes a cell, built from a search's costs.

    Attributes:
        limits: Hard limits on costs known before training: a cell over one is never proposed.
        latency_limit: A limit on a cost measured cell by cell, checked on each cell about to be proposed.
        pareto_cost: ``(name, costs)`` of Pareto mode: the cost traded off against the predicted value.
    """

    limits: CostLimits | None = None
    latency_limit: LatencyLimit | None = None
    pareto_cost: tuple[str, CostFunction] | None = None

    def __bool__(self) -> bool:
        return bool(self.limits) or self.latency_limit is not None or self.pareto_cost is not None

    def settings(self) -> dict[str, Any]:
        """The constraints that decide what a strategy proposes, for a search's fingerprint."""
        return {
            **({"limits": self.limits.settings()} if self.limits else {}),
            **({"latency_limit": self.latency_limit.settings()} if self.latency_limit else {}),
            **({"pareto_cost": self.pareto_cost[0]} if self.pareto_cost else {}),
        }


def _nothing_fits(limits: Mapping[str, float], smallest: Mapping[str, int], step: int, count: int) -> str:
    over = [name for name, maximum in limits.items() if smallest[name] > maximum]
    blamed = over or list(limits)
    parts = [f"{name}={limits[name]:,.0f} (the smallest has {smallest[name]:,} {LIMITS[name][1]})" for name in blamed]
    together = "" if over or len(limits) == 1 else " together"
    return (
        f"no cell of step {step} fits {' and '.join(parts)}{together}, among {count:,} considered; "
        "raise the limit or make the network smaller (num_cells, filters)"
    )


def network_costs(template: Any, input_size: tuple[int, ...] | None, max_blocks: int, needed_by: str) -> CellCosts:
    """The :class:`~pnas.nn.costs.CellCosts` of the networks a search trains, as its template counts them.

    Args:
        template: The search's model. It says how to count a cell's network with a ``cell_costs(input_size,
            max_blocks)`` method (:meth:`pnas.PNASModule.cell_costs`); a module without one that holds one
            :class:`~pnas.nn.CellNetwork` (``build_network``) is counted as that network with its arguments.
        input_size: ``(channels, height, width)`` of the training images.
        max_blocks: Blocks of the search's last cells.
        needed_by: The settings that need the costs, for the error message.

    Raises:
        ConfigError: The template cannot count its networks, or the data's batches are not ``(images, labels)``.
    """
    count = getattr(template, "cell_costs", None)
    if not callable(count):
        count = _costs_of_its_cell_network(template)
    if count is None:
        raise ConfigError(
            f"{needed_by} need the model to count a cell's network before training, and {type(template).__name__} "
            f"has no cell_costs(input_size, max_blocks) method and holds no one CellNetwork (build_network): use "
            f"pnas.PNASModule, give your module one, or leave {needed_by} unset"
        )
    if input_size is None or len(input_size) != 3:
        raise ConfigError(f"{needed_by} need (images, labels) batches to size the network; the data gives others")
    return count(input_size, max_blocks)


def _costs_of_its_cell_network(template: Any) -> Callable[[tuple[int, ...], int], CellCosts] | None:
    """How to count the one :class:`~pnas.nn.CellNetwork` ``template`` holds; ``None`` when it holds none or several.

    The network's other cells are built with the same arguments, so it is counted with them; what the module holds
    outside that network (none of it depends on the cell) is not counted.
    """
    from pnas.nn.costs import CellCosts
    from pnas.nn.network import CellNetwork

    modules = getattr(template, "modules", None)
    networks = [module for module in modules() if isinstance(module, CellNetwork)] if callable(modules) else []
    if len(networks) != 1:
        return None
    arguments = dict(networks[0].arguments)
    num_classes = arguments.pop("num_classes")
    del arguments["in_channels"], arguments["image_size"]  # the data's, as input_size gives them

    def count(input_size: tuple[int, ...], max_blocks: int) -> CellCosts:
        return CellCosts(num_classes, input_size, max_blocks, **arguments)

    return count
