"""Keep the latencies a search measured in its run directory, so a resumed search proposes the same cells."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pnas.search.callbacks.base import SearchCallback

if TYPE_CHECKING:
    from pnas.nn.latency import CellLatency
    from pnas.search.run.records import SearchResult

__all__ = ["LatencyFile"]


class LatencyFile(SearchCallback):
    """Write the measured latencies into the run directory before each step's cells train.

    So a search stopped at any point resumes from the same numbers, and proposes the same cells.

    Args:
        latency: The search's latency measurements, which know their file.
    """

    def __init__(self, latency: CellLatency) -> None:
        self.latency = latency

    def on_step_start(self, search: SearchResult, proposal: Any) -> None:
        """Save what proposing the step measured."""
        self.latency.save()
