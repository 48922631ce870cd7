"""A search's constraints as the user states them: limits on a cell's network, and Pareto mode."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from pnas.errors import ConfigError
from pnas.search.constraints.limits import LIMITS

__all__ = ["Constraints"]


@dataclass(frozen=True)
class Constraints:
    """What a search may train and what it trades off, as numbers; the search turns them into checks on cells.

    Attributes:
        max_params: Never train (or propose) a cell whose network has more parameters than this; counted exactly
            before training (:mod:`pnas.nn.costs`).
        max_macs: The same for the multiply-adds of one forward pass of one training image.
        max_latency_ms: Never train (or propose) a cell whose network takes longer than this for one image on
            ``latency_device``: the median of 20 timed forward passes after 5 warm-up ones, measured once per cell
            as it is about to be proposed and kept in the run directory's ``latency.json`` (a resumed search reads
            it).
        latency_device: Where latency is measured (``cpu``, ``cuda``, ...): the device the network is for.
        objectives: Pareto mode, ``[monitor, cost]`` with cost ``params`` or ``macs``: each step after the first
            proposes the predicted front of the monitored value against that cost (the best predicted child, then
            each next child only if it is cheaper than the last kept), topped up to K by predicted value.
    """

    max_params: int | None = None
    max_macs: int | None = None
    max_latency_ms: float | None = None
    latency_device: str = "cpu"
    objectives: list[str] | None = None

    def __bool__(self) -> bool:
        return bool(self.cost_limits()) or self.max_latency_ms is not None or self.objectives is not None

    def cost_limits(self) -> dict[str, int]:
        """The limits on costs counted before training that are set (``max_params``, ``max_macs``)."""
        return {name: getattr(self, name) for name in LIMITS if getattr(self, name)}

    def check(self, monitor: str, mode: str) -> None:
        """Raise ``ConfigError`` if Pareto mode is malformed for the monitored metric.

        Raises:
            ConfigError: ``objectives`` is not ``[monitor, cost]`` with a known cost, or ``mode`` is not ``max``.
        """
        if self.objectives is None:
            return
        costs = [cost for cost, _ in LIMITS.values()]
        if len(self.objectives) != 2 or self.objectives[0] != monitor or self.objectives[1] not in costs:
            raise ConfigError(
                f"objectives must be [{monitor}, cost] with cost one of {', '.join(costs)} (the monitored metric "
                f"first), got {self.objectives}"
            )
        if mode != "max":
            raise ConfigError(f"objectives maximise {monitor}: set mode: max (a metric such as val/acc)")

    def needed_by(self) -> str:
        """The settings that need a cell's network counted, for messages."""
        latency = ["max_latency_ms"] if self.max_latency_ms is not None else []
        return " and ".join([*self.cost_limits(), *latency, *(["objectives"] if self.objectives else [])])

    def record(self) -> dict[str, Any]:
        """The settings that are set, for the search's config record (the device only with a latency limit)."""
        values = {field.name: getattr(self, field.name) for field in fields(self)}
        if self.max_latency_ms is None:
            values.pop("latency_device")
        return {name: value for name, value in values.items() if value}
