"""Pareto mode's files: after every step, the front of the trained candidates, its hypervolume and its picture."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pnas.files import read_text_or_none, write_text_atomically
from pnas.search.callbacks.base import SearchCallback
from pnas.search.constraints.pareto import METRIC_AGAINST_COST, normalized_hypervolume, pareto_front
from pnas.search.run.records import SearchResult, StepReport
from pnas.search.run.run_dir import RunDir
from pnas.space import Cell

__all__ = ["ParetoFiles"]


class ParetoFiles(SearchCallback):
    """Write ``pareto.csv``, ``pareto.json``, ``pareto.png`` and ``pareto/<rank>.json`` after every step.

    The front is that of every candidate trained so far, in (monitored metric, maximised; cost, minimised).
    ``pareto.json`` records the objectives, the reference point fixed when the search starts (metric 0, and a cost
    no cell of the search can exceed), the hypervolume after each step as a share of the box between the reference
    and the ideal point (metric 1, cost 0), and the front; ``pareto/`` holds one genotype JSON per front member,
    best metric first. The front also goes into :attr:`SearchResult.front` and so into ``result.json``.

    Args:
        monitor: The monitored metric's name (maximised).
        cost: The cost's name (``params`` or ``macs``).
        costs: Cells -> their costs by name, e.g. :meth:`pnas.nn.costs.CellCosts.of_cells`.
        reference_cost: The reference point's cost.
    """

    def __init__(
        self, monitor: str, cost: str, costs: Callable[[Sequence[Cell]], dict[str, np.ndarray]], reference_cost: float
    ) -> None:
        self.monitor, self.cost, self.costs = monitor, cost, costs
        self.reference = (0.0, float(reference_cost))
        self.hypervolumes: dict[int, float] = {}
        self.front: list[dict[str, Any]] = []

    def on_step_end(self, search: SearchResult, report: StepReport) -> None:
        """Recompute the front of all trained candidates and rewrite the files (a failed write is one line)."""
        trained = [r for r in search.candidates if r.status == "ok" and r.value is not None]
        if not trained:
            return
        cells = [Cell.from_string(record.cell) for record in trained]
        cost_values = self.costs(cells)[self.cost]
        points = [(float(r.value), float(c)) for r, c in zip(trained, cost_values, strict=True)]
        front = sorted(pareto_front(points, METRIC_AGAINST_COST).tolist(), key=lambda i: (-points[i][0], points[i][1]))
        self.hypervolumes[report.step] = normalized_hypervolume(
            [points[i] for i in front], self.reference, (1.0, 0.0), METRIC_AGAINST_COST
        )
        self.front = [
            {"step": trained[i].step, "cell": trained[i].cell, self.monitor: points[i][0], self.cost: int(points[i][1])}
            for i in front
        ]
        search.front, search.hypervolume = self.front, self.hypervolumes[report.step]
        on_front = set(front)
        search.pareto_points = [
            {"cell": r.cell, self.monitor: m, self.cost: c, "on_front": i in on_front}
            for i, (r, (m, c)) in enumerate(zip(trained, points, strict=True))
        ]
        try:
            self._write(search, cells, points, front)
        except Exception as error:  # noqa: BLE001 - the search goes on without its Pareto files
            print(f"pnas: could not write the Pareto files in {search.run_dir}: {error}", file=sys.stderr)

    def _write(
        self, search: SearchResult, cells: list[Cell], points: list[tuple[float, float]], front: list[int]
    ) -> None:
        from pnas.plots import plot_pareto_front

        files = RunDir(search.run_dir)
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(["rank", "step", "cell", self.monitor, self.cost])
        writer.writerows(
            [rank, m["step"], m["cell"], m[self.monitor], m[self.cost]] for rank, m in enumerate(self.front, 1)
        )
        _write_if_changed(files.pareto_table, table.getvalue())
        summary = {
            "objectives": {self.monitor: "max", self.cost: "min"},
            "reference": {self.monitor: self.reference[0], self.cost: self.reference[1]},
            "ideal": {self.monitor: 1.0, self.cost: 0},
            "hypervolume": {str(step): value for step, value in sorted(self.hypervolumes.items())},
            "front": self.front,
        }
        _write_if_changed(files.pareto_json, json.dumps(summary, indent=2) + "\n")
        folder = files.pareto_folder
        folder.mkdir(exist_ok=True)
        members = {f"{rank:02d}.json": cells[index].to_json() + "\n" for rank, index in enumerate(front, 1)}
        for name, text in members.items():  # the new front first: a crash never leaves the folder empty
            _write_if_changed(folder / name, text)
        for stale in folder.glob("*.json"):
            if stale.name not in members:
                stale.unlink()
        plot_pareto_front(points, front, files.pareto_picture, self.monitor, self.cost)


def _write_if_changed(path: Path, text: str) -> None:
    if read_text_or_none(path) != text:
        write_text_atomically(path, text)
