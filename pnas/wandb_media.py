"""What a search shows in Weights & Biases beyond numbers: its charts, its Pareto scatters and the answer's artifact.

Each function builds W&B objects from a search's records and logs nothing itself; :mod:`pnas.tracking` logs them.
``wandb`` is imported on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pnas.search.run.records import SearchResult
from pnas.search.run.run_dir import RunDir

__all__ = ["candidate_curves_chart", "model_artifact", "pareto_scatters"]


def candidate_curves_chart(curves: Sequence[tuple[str, list[float]]], step: int, monitor: str) -> Any:
    """One line per candidate of a step: its ``monitor`` value by epoch (``curves``: ``(cell, values)`` pairs)."""
    import wandb

    longest = max(len(curve) for _, curve in curves)
    return wandb.plot.line_series(
        xs=list(range(1, longest + 1)),
        ys=[curve for _, curve in curves],
        keys=[cell for cell, _ in curves],
        title=f"step {step}: {monitor} of each candidate by epoch",
        xname="epoch",
    )


def pareto_scatters(points: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Scatters of the trained candidates and of the front, metric against cost, by their keys under ``pareto/``.

    ``points`` are rows of ``cell``, the metric, the cost and ``on_front``, in that order.
    """
    import wandb

    columns = list(points[0])
    metric, cost = columns[1], columns[2]
    everything = wandb.Table(columns=columns, data=[list(point.values()) for point in points])
    front = wandb.Table(columns=columns, data=[list(point.values()) for point in points if point["on_front"]])
    return {
        "pareto/candidates": wandb.plot.scatter(everything, cost, metric, title="trained candidates"),
        "pareto/front": wandb.plot.scatter(front, cost, metric, title="the Pareto front"),
    }


def model_artifact(search: SearchResult, name: str, final: bool) -> Any:
    """The answer as a ``model`` artifact called ``name``: its genotype and weights, with what it scored.

    The weights are the best candidate's while the search runs (``best_candidate.pt``) and the tested ``best.ckpt``
    once it has ended (``final``). ``search`` must have a best cell and a run directory.
    """
    import wandb

    assert search.best_cell is not None and search.run_dir is not None
    files = RunDir(search.run_dir)
    weights = search.checkpoint if final else files.best_weights
    metadata = {"cell": str(search.best_cell), "monitor": search.monitor, "value": search.best_value}
    if final:
        metadata["test_value"] = search.test_value
    artifact = wandb.Artifact(name, type="model", metadata=metadata)
    with artifact.new_file(files.best_genotype.name) as handle:
        handle.write(search.best_cell.to_json() + "\n")
    if weights is not None and Path(weights).is_file():
        artifact.add_file(str(weights))
    return artifact
