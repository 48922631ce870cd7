"""The search loop: ask the strategy, evaluate, record, report, until the strategy is done."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from scipy.stats import kendalltau, spearmanr
from tqdm.auto import tqdm

from pnas.errors import ConfigError
from pnas.plots import draw_cell, plot_predicted_vs_actual, plot_search_progress
from pnas.search.callbacks import SearchCallback
from pnas.search.evaluator import Evaluation, Evaluator
from pnas.search.records import CandidateRecord, RunDirectory, StepReport
from pnas.search.strategy import SearchStrategy
from pnas.space import Cell, save_genotype

__all__ = ["SearchResult", "run_search"]


@dataclass
class SearchResult:
    """The outcome of a search.

    Attributes:
        best_cell: The cell with the highest validation accuracy (``None`` if nothing finished).
        best_val_acc: Its validation accuracy.
        test_acc: Its test accuracy, when the evaluator could measure it.
        candidates: Every evaluated candidate, in order.
        steps: One report per step.
        run_dir: Where the records were written.
        checkpoint: The best cell's trained model, when the evaluator saved one.
        seconds: Wall-clock duration of the search.
    """

    best_cell: Cell | None
    best_val_acc: float | None
    test_acc: float | None
    candidates: list[CandidateRecord] = field(default_factory=list)
    steps: list[StepReport] = field(default_factory=list)
    run_dir: Path | None = None
    checkpoint: Path | None = None
    seconds: float = 0.0


def _rank_correlations(predicted: list[float | None], actual: list[float | None]) -> tuple[float | None, ...]:
    pairs = [(p, a) for p, a in zip(predicted, actual, strict=True) if p is not None and a is not None]
    if len(pairs) < 3:
        return None, None
    x, y = zip(*pairs, strict=True)
    values = (float(spearmanr(x, y)[0]), float(kendalltau(x, y)[0]))
    return tuple(None if math.isnan(value) else value for value in values)


def _evaluate(evaluator: Evaluator, cell: Cell) -> Evaluation:
    start = time.perf_counter()
    try:
        return evaluator.evaluate(cell)
    except ConfigError:  # a setting is wrong: no candidate can succeed, so stop
        raise
    except Exception as error:  # a failed candidate is recorded; the search goes on
        message = f"{type(error).__name__}: {error}".splitlines()[0]
        return Evaluation(None, status="failed", seconds=time.perf_counter() - start, error=message)


def _draw_pictures(directory: RunDirectory, records: list[CandidateRecord], best: Cell | None) -> dict[str, Path]:
    pictures = {
        "search_progress": plot_search_progress(records, directory.path / "search_progress.png"),
        "predicted_vs_actual": plot_predicted_vs_actual(records, directory.path / "predicted_vs_actual.png"),
    }
    if best is not None:
        pictures["best_cell"] = draw_cell(
            best, directory.path / "best_cell.png", title=f"best cell: {best.num_blocks} blocks"
        )
    return pictures


def run_search(
    strategy: SearchStrategy,
    evaluator: Evaluator,
    run_dir: str | Path,
    config: dict[str, Any] | None = None,
    progress: bool = True,
    callbacks: list[SearchCallback] | None = None,
) -> SearchResult:
    """Run ``strategy`` to completion, evaluating every proposed cell with ``evaluator``.

    Writes to ``run_dir``: ``config.yaml`` (``config``), ``candidates.csv`` (a row per candidate as it finishes),
    ``steps.csv`` (a row per step), ``best_genotype.json`` (kept up to date), the pictures
    ``search_progress.png``, ``predicted_vs_actual.png`` and ``best_cell.png`` (redrawn after every step), and at
    the end ``result.json`` with the best cell's test accuracy and ``best.ckpt`` when the evaluator can give them.

    Args:
        strategy: What to evaluate next.
        evaluator: How to evaluate a cell.
        run_dir: Directory for the records.
        config: Settings to store as ``config.yaml``.
        progress: Show progress bars and print a line per step.
        callbacks: Hooks called as the search goes (W&B logging is one, see :mod:`pnas.tracking`).
    """
    start = time.perf_counter()
    callbacks = callbacks or []
    directory = RunDirectory(run_dir)
    directory.write_text("config.yaml", yaml.safe_dump(config or {}, sort_keys=False))
    for callback in callbacks:
        callback.on_search_start(directory.path, config or {})
    result = SearchResult(None, None, None, run_dir=directory.path)
    steps_bar = tqdm(total=strategy.num_steps, desc="search", unit="step", disable=not progress)
    while (proposal := strategy.propose()) is not None:
        step_start = time.perf_counter()
        accuracies: list[float | None] = []
        bar = tqdm(proposal.cells, desc=f"step {proposal.step}", unit="cell", leave=False, disable=not progress)
        for cell, predicted in zip(bar, proposal.predicted, strict=True):
            evaluation = _evaluate(evaluator, cell)
            record = CandidateRecord(
                step=proposal.step,
                cell=cell.to_string(),
                predicted_acc=predicted,
                val_acc=evaluation.accuracy,
                parameters=evaluation.parameters,
                train_seconds=round(evaluation.seconds, 3),
                status=evaluation.status,
                error=evaluation.error,
            )
            directory.add_candidate(record)
            result.candidates.append(record)
            for callback in callbacks:
                callback.on_candidate_end(record, evaluation.history)
            accuracies.append(evaluation.accuracy)
            improved = result.best_val_acc is None or (evaluation.accuracy or 0.0) > result.best_val_acc
            if evaluation.accuracy is not None and improved:
                result.best_cell, result.best_val_acc = cell, evaluation.accuracy
                save_genotype(cell, directory.path / "best_genotype.json")
            if result.best_val_acc is not None:
                bar.set_postfix(best=f"{result.best_val_acc:.4f}")
        strategy.observe(proposal.cells, accuracies)
        spearman, kendall = _rank_correlations(proposal.predicted, accuracies)
        report = StepReport(
            step=proposal.step,
            children_scored=proposal.children_scored,
            scoring_seconds=round(proposal.scoring_seconds, 3),
            candidates=len(proposal.cells),
            failed=sum(accuracy is None for accuracy in accuracies),
            spearman=spearman,
            kendall_tau=kendall,
            best_val_acc=result.best_val_acc,
            best_cell=result.best_cell.to_string() if result.best_cell else None,
            step_seconds=round(time.perf_counter() - step_start, 3),
        )
        directory.add_step(report)
        result.steps.append(report)
        pictures = _draw_pictures(directory, result.candidates, result.best_cell)
        for callback in callbacks:
            callback.on_step_end(report, result.candidates, pictures)
        steps_bar.update()
        if progress:
            tqdm.write(report.describe())
    steps_bar.close()
    if result.best_cell is not None:
        checkpoint = directory.path / "best.ckpt"
        result.test_acc = evaluator.test(result.best_cell, checkpoint=checkpoint)
        result.checkpoint = checkpoint if checkpoint.is_file() else None
    result.seconds = time.perf_counter() - start
    directory.write_json(
        "result.json",
        {
            "best_cell": result.best_cell.to_string() if result.best_cell else None,
            "best_val_acc": result.best_val_acc,
            "test_acc": result.test_acc,
            "candidates": len(result.candidates),
            "failed": sum(record.status != "ok" for record in result.candidates),
            "seconds": round(result.seconds, 1),
        },
    )
    for callback in callbacks:
        callback.on_search_end(result)
    return result
