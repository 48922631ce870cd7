"""Pictures: a cell's wiring diagram, a search's progress, and the surrogate's predicted-vs-actual accuracy.

matplotlib is imported on first use with the non-interactive Agg backend; every function writes a file (the
format follows the extension: ``.png``, ``.svg``, ``.pdf``) and returns its path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pnas.files import replace_atomically
from pnas.space import Cell, input_name

if TYPE_CHECKING:
    from pnas.search.run.records import CandidateRecord

__all__ = ["draw_cell", "plot_benchmark", "plot_pareto_front", "plot_predicted_vs_actual", "plot_search_progress"]

_STEP_COLORS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _ticker() -> Any:
    import matplotlib.ticker

    return matplotlib.ticker


def _save(figure: Any, path: str | Path) -> Path:
    """Save ``figure`` to ``path`` atomically (a failed write leaves the old picture) and close it."""
    path = Path(path)
    picture_format = path.suffix.lstrip(".").lower() or "png"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_atomically(
            path, lambda partial: figure.savefig(partial, dpi=150, bbox_inches="tight", format=picture_format)
        )
    finally:
        _pyplot().close(figure)
    return path


def draw_cell(cell: Cell, path: str | Path, title: str | None = None) -> Path:
    """Draw ``cell``: the inputs H[c-2] and H[c-1], each block as two op boxes summed, the output concat.

    Blocks are stacked top to bottom; an arrow from a block's sum into a later block's op shows that the later
    block reads the earlier one. Every block output goes into the concat, as in PNAS.
    """
    plt = _pyplot()
    rows = cell.num_blocks
    gap = 2.4
    block_y = [-(index * gap) for index in range(rows)]
    middle = (block_y[0] + block_y[-1]) / 2
    nodes: dict[str, tuple[float, float]] = {"in0": (0.0, middle + 0.9), "in1": (0.0, middle - 0.9)}
    for index, y in enumerate(block_y):
        nodes[f"op{index}a"], nodes[f"op{index}b"] = (4.0, y + 0.55), (4.0, y - 0.55)
        nodes[f"add{index}"] = (6.6, y)
    nodes["out"] = (9.2, middle)
    figure, axes = plt.subplots(figsize=(9.5, 1.2 + 1.55 * rows))

    def source(input_index: int) -> str:
        return f"in{input_index}" if input_index < 2 else f"add{input_index - 2}"

    def link(start: str, end: str, color: str = "#555555", bend: float = 0.0) -> None:
        axes.annotate(
            "",
            xy=nodes[end],
            xytext=nodes[start],
            zorder=1,
            arrowprops={
                "arrowstyle": "-|>",
                "color": color,
                "lw": 1.1,
                "shrinkA": 22,
                "shrinkB": 22,
                "connectionstyle": f"arc3,rad={bend}",
            },
        )

    def box(name: str, text: str, color: str, size: int = 9) -> None:
        x, y = nodes[name]
        axes.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=size,
            zorder=3,
            bbox={"boxstyle": "round,pad=0.4", "facecolor": color, "edgecolor": "#333333"},
        )

    box("in0", "H[c-2]", "#dbe9f6", 10)
    box("in1", "H[c-1]", "#dbe9f6", 10)
    for index, block in enumerate(cell.blocks):
        for half, (input_index, op) in zip(
            "ab", ((block.input_1, block.op_1), (block.input_2, block.op_2)), strict=True
        ):
            box(f"op{index}{half}", f"{op}\n({input_name(input_index)})", "#fde9c9")
            from_block = input_index >= 2
            link(
                source(input_index),
                f"op{index}{half}",
                "#B55D00" if from_block else "#555555",
                bend=0.45 if from_block else 0.0,
            )
            link(f"op{index}{half}", f"add{index}")
        box(f"add{index}", f"b{index + 1}\n+", "#fff4b8", 10)
        link(f"add{index}", "out", "#2E7D32")
    box("out", "concat\nH[c]", "#d5ecd4", 10)
    axes.set_xlim(-1.2, 10.4)
    axes.set_ylim(block_y[-1] - 1.3, block_y[0] + 1.3)
    axes.axis("off")
    axes.set_title(title or f"{rows}-block cell", fontsize=11)
    return _save(figure, path)


def plot_search_progress(
    records: Sequence[CandidateRecord], path: str | Path, metric: str = "validation accuracy", mode: str = "max"
) -> Path:
    """The monitored metric of every trained candidate in training order, coloured by step, with the best so far.

    Args:
        records: The candidates, in training order.
        path: The image file to write.
        metric: The name of the metric in ``value``, for the axis.
        mode: ``"max"`` or ``"min"``: which way the best so far goes.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(8, 4.5))
    best, best_curve = None, []
    better = (lambda a, b: a > b) if mode == "max" else (lambda a, b: a < b)
    for record in records:
        if record.value is not None and (best is None or better(record.value, best)):
            best = record.value
        best_curve.append(best)
    for step in sorted({record.step for record in records}):
        points = [(n, r.value) for n, r in enumerate(records, start=1) if r.step == step and r.value is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            axes.scatter(
                xs,
                ys,
                s=22,
                color=_STEP_COLORS[(step - 1) % len(_STEP_COLORS)],
                label=f"step {step}",
                alpha=0.85,
                edgecolors="none",
            )
    axes.step(range(1, len(records) + 1), best_curve, where="post", color="black", lw=1.5, label="best so far")
    axes.set_xlabel("candidate (in training order)")
    axes.set_ylabel(metric)
    axes.set_title(f"Search progress: {len(records)} candidates")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right" if mode == "max" else "upper right", fontsize=9)
    return _save(figure, path)


def plot_predicted_vs_actual(
    records: Sequence[CandidateRecord], path: str | Path, metric: str = "validation accuracy"
) -> Path:
    """One scatter per step b >= 2: the surrogate's prediction (made before training) against the measured metric."""
    from surrogate import rank_correlations

    plt = _pyplot()
    steps = sorted({r.step for r in records if r.predicted_value is not None and r.value is not None})
    figure, axes_list = plt.subplots(
        1, max(1, len(steps)), figsize=(4.2 * max(1, len(steps)), 4), squeeze=False, layout="constrained"
    )
    for axes, step in zip(axes_list[0], steps, strict=False):
        pairs = [
            (r.predicted_value, r.value)
            for r in records
            if r.step == step and r.predicted_value is not None and r.value is not None
        ]
        xs, ys = zip(*pairs, strict=True)
        axes.scatter(xs, ys, s=24, color=_STEP_COLORS[(step - 1) % len(_STEP_COLORS)], edgecolors="none")
        low, high = min(xs + ys), max(xs + ys)
        axes.plot([low, high], [low, high], color="#999999", lw=1, ls="--", label="predicted = actual")
        title = f"step {step}"
        if len(pairs) >= 3:
            correlations = rank_correlations(xs, ys)
            title += f": Spearman {correlations['spearman']:.2f}, Kendall {correlations['kendall_tau']:.2f}"
        axes.set_title(title, fontsize=10)
        axes.set_xlabel(f"predicted {metric}")
        axes.set_ylabel(metric)
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right", fontsize=8)
    if not steps:
        axes_list[0][0].text(0.5, 0.5, "no predictions yet (step 1 is trained exhaustively)", ha="center")
        axes_list[0][0].axis("off")
    figure.suptitle("Surrogate: predicted vs actual accuracy of the candidates it chose")
    return _save(figure, path)


def plot_pareto_front(
    points: Sequence[tuple[float, float]], front: Sequence[int], path: str | Path, metric: str, cost: str
) -> Path:
    """Every trained candidate's metric against its cost, the Pareto front marked and joined as a staircase."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(5.5, 4), layout="constrained")
    if points:
        costs, metrics = zip(*[(c, m) for m, c in points], strict=True)
        axes.scatter(costs, metrics, s=18, color="#9ab", edgecolors="none", label="trained candidates")
        ranked = sorted((points[i][1], points[i][0]) for i in front)
        axes.step([c for c, _ in ranked], [m for _, m in ranked], where="post", color="#c33", lw=1.2)
        axes.scatter([c for c, _ in ranked], [m for _, m in ranked], s=30, color="#c33", label="Pareto front")
        axes.set_xscale("log")
        axes.xaxis.set_minor_formatter(_ticker().NullFormatter())  # decades only: minor labels overlap
        axes.legend(loc="lower right", fontsize=8)
    axes.set_xlabel(cost)
    axes.set_ylabel(metric)
    axes.grid(alpha=0.3)
    axes.set_title(f"{metric} against {cost}: {len(front)} cells on the front", fontsize=10)
    return _save(figure, path)


def _benchmark_panel(
    axes: Any, curves: dict[str, Any], xs: dict[str, Any], budgets: Sequence[int], optimum: float | None
) -> None:
    """Mean (line) and standard error (band) of each strategy's curve against its ``xs``, budgets marked."""
    import numpy as np

    for index, (name, values) in enumerate(curves.items()):
        values = np.asarray(values, dtype=float)
        x = np.asarray(xs[name], dtype=float)
        mean = np.nanmean(values, axis=0)
        runs = np.sum(~np.isnan(values), axis=0)
        stderr = np.nanstd(values, axis=0, ddof=1) / np.sqrt(runs) if values.shape[0] > 1 else np.zeros_like(mean)
        color = _STEP_COLORS[index % len(_STEP_COLORS)]
        axes.plot(x, mean, color=color, lw=1.6, label=f"{name} ({values.shape[0]} runs)")
        axes.fill_between(x, mean - stderr, mean + stderr, color=color, alpha=0.2, lw=0)
        marks = np.array([b for b in budgets if b <= values.shape[1]], dtype=int) - 1
        axes.scatter(x[marks], mean[marks], color=color, s=18, zorder=3)
    if optimum is not None:
        axes.axhline(optimum, color="black", ls="--", lw=1, label=f"optimum {optimum:.2f}")
    finite = [np.nanmean(np.asarray(v, dtype=float), axis=0) for v in curves.values()]
    top = max([float(np.nanmax(m)) for m in finite] + ([optimum] if optimum is not None else []))
    low = min(float(np.nanmean(m[min(budgets) - 1 :])) for m in finite) if finite else top - 1
    axes.set_ylim(min(low, top) - 0.5, top + 0.2)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=9)


def plot_benchmark(
    curves: dict[str, Any],
    budgets: Sequence[int],
    path: str | Path,
    ylabel: str,
    optimum: float | None = None,
    seconds: dict[str, Any] | None = None,
) -> Path:
    """Performance over queries, and over wall-clock time: mean and standard error of each best-so-far accuracy.

    Args:
        curves: Strategy -> ``(runs, queries)`` array of the reported accuracy (in percent) after each query.
        budgets: Budgets to mark on the curves.
        path: Where to write the picture.
        ylabel: What each run is measured by (e.g. the report column of the best-by-signal architecture).
        optimum: The best value in the table, drawn as a dashed line.
        seconds: Strategy -> ``(runs, queries)`` array of each run's cumulative seconds after each query; given, a
            second panel draws the curves against the runs' mean seconds (log scale).
    """
    import numpy as np

    plt = _pyplot()
    panels = 1 if seconds is None else 2
    figure, axes_list = plt.subplots(1, panels, figsize=(8 * panels, 4.5), squeeze=False, layout="constrained")
    queries = {name: np.arange(1, np.shape(values)[1] + 1) for name, values in curves.items()}
    _benchmark_panel(axes_list[0][0], curves, queries, budgets, optimum)
    axes_list[0][0].set_xlabel("queries (architectures evaluated)")
    axes_list[0][0].set_ylabel(ylabel)
    axes_list[0][0].set_title("Performance over queries (mean ± standard error)")
    if seconds is not None:
        times = {name: np.maximum(np.mean(np.asarray(seconds[name], dtype=float), axis=0), 1e-6) for name in curves}
        axes = axes_list[0][1]
        _benchmark_panel(axes, curves, times, budgets, optimum)
        axes.set_xscale("log")
        axes.set_xlabel("wall-clock seconds of a run (mean over runs, log scale)")
        axes.set_ylabel(ylabel)
        axes.set_title("Performance over time (budgets marked)")
    return _save(figure, path)
